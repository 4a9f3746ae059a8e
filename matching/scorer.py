"""In-process scoring of record pairs with a trained Splink model: Splink's numbers, no SQL.

Splink 5 scores pairs in DuckDB; for a record streaming in, that costs 85-130 ms (the engine,
not the arithmetic). This module takes the model apart once (:func:`export_spec`, with
Splink's own objects, so every level's weight is the one Splink uses: trained m and u,
defaults for untrained levels, the clamp) into a plain :class:`ScoringSpec`, and scores a
pair in microseconds:

    match_weight = log2(prior odds) + sum over comparisons of (level weight + tf adjustment)

where each comparison's level is the first whose SQL condition holds
(:mod:`matching.sqlcond`), and a term-frequency adjustment on a level is
``tf_weight * (log2(u of the exact-match level) - log2(max(tf_l, tf_r, tf_min)))`` when a
term frequency is known (``tf_<column>`` in the records), as in Splink's own SQL.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from matching.sqlcond import Condition, compile_condition


@dataclass(frozen=True)
class LevelSpec:
    label: str
    value: int  # Splink's comparison vector value (-1: the null level)
    sql: str
    weight: float  # log2(m / u); 0 for the null level
    tf_column: str | None = None
    tf_weight: float = 1.0
    tf_minimum_u: float = 0.0
    log2_u_exact: float | None = None  # log2(u) of the exact-match level tf adjusts against


@dataclass(frozen=True)
class ComparisonSpec:
    name: str
    levels: tuple[LevelSpec, ...]


class Contribution(NamedTuple):
    """One comparison's part in a score: the level that applied and its weight.

    (A named tuple, as :class:`Score`: batch linking builds millions of them.)"""

    comparison: str
    level: str
    value: int
    weight: float
    tf_adjustment: float


class Score(NamedTuple):
    match_weight: float
    probability: float
    contributions: tuple[Contribution, ...]


class Scorer:
    """A compiled :class:`ScoringSpec`: conditions parsed once, scoring is plain Python."""

    def __init__(self, spec: Mapping[str, Any]) -> None:
        self.version = str(spec.get("version", ""))
        self.prior_weight = float(spec["prior_weight"])
        self.comparisons = tuple(
            ComparisonSpec(c["name"], tuple(LevelSpec(**level) for level in c["levels"]))
            for c in spec["comparisons"]
        )
        self._conditions: list[list[tuple[LevelSpec, Condition | None]]] = [
            [
                (
                    level,
                    None if level.sql.strip().upper() == "ELSE" else compile_condition(level.sql),
                )
                for level in comparison.levels
            ]
            for comparison in self.comparisons
        ]
        self._by_value = [{level.value: level for level in c.levels} for c in self.comparisons]

    def score_levels(
        self, levels: Sequence[int], left: Mapping[str, Any], right: Mapping[str, Any]
    ) -> Score:
        """The score of a pair whose comparison levels are already known (Splink's ``gamma_``
        values, one per comparison in order): the numbers :meth:`score` gives, without
        evaluating a single condition; only term-frequency levels read the records."""
        total = self.prior_weight
        parts = []
        for comparison, by_value, value in zip(
            self.comparisons, self._by_value, levels, strict=True
        ):
            level = by_value[value]
            tf = _tf_adjustment(level, left, right)
            total += level.weight + tf
            parts.append(Contribution(comparison.name, level.label, level.value, level.weight, tf))
        return Score(total, _probability(total), tuple(parts))

    def score(self, left: Mapping[str, Any], right: Mapping[str, Any]) -> Score:
        total = self.prior_weight
        parts = []
        for comparison, levels in zip(self.comparisons, self._conditions, strict=True):
            for level, condition in levels:
                if condition is None or condition(left, right):
                    tf = _tf_adjustment(level, left, right)
                    total += level.weight + tf
                    parts.append(
                        Contribution(comparison.name, level.label, level.value, level.weight, tf)
                    )
                    break
        return Score(total, _probability(total), tuple(parts))

    def score_many(
        self, left: Mapping[str, Any], candidates: Sequence[Mapping[str, Any]]
    ) -> list[Score]:
        return [self.score(left, right) for right in candidates]


def _condition(level: LevelSpec) -> Condition | None:
    """The compiled condition; None for the else level (it applies to whatever is left)."""
    return None if level.sql.strip().upper() == "ELSE" else compile_condition(level.sql)


def _tf_adjustment(level: LevelSpec, left: Mapping[str, Any], right: Mapping[str, Any]) -> float:
    if level.tf_column is None or level.log2_u_exact is None:
        return 0.0
    key = "tf_" + level.tf_column
    tf_l, tf_r = left.get(key), right.get(key)
    known = [float(v) for v in (tf_l, tf_r) if v is not None]
    if not known:
        return 0.0
    u = max(*known, level.tf_minimum_u)  # greatest(coalesce(l, r), coalesce(r, l), min)
    return level.tf_weight * (level.log2_u_exact - math.log2(u))


def _probability(weight: float) -> float:
    if weight > 1000:
        return 1.0
    odds: float = 2.0**weight
    return odds / (1.0 + odds)


def export_spec(model: Mapping[str, Any], version: str = "") -> dict[str, Any]:
    """The scoring spec of a saved Splink model, read through Splink's own objects.

    Splink is imported here only: training and model loading use it, scoring never does.
    """
    from splink.internals.settings_creator import SettingsCreator

    settings = SettingsCreator.from_path_or_dict(dict(model)).get_settings("duckdb")
    prior = settings._probability_two_random_records_match
    comparisons = []
    for comparison in settings.comparisons:
        levels = []
        for level in comparison.comparison_levels:
            has_tf = bool(level._has_tf_adjustments) and not level.is_null_level
            u_exact = (
                level._u_probability_corresponding_to_exact_match(comparison.comparison_levels)
                if has_tf and level._tf_adjustment_weight != 0 and not level._is_else_level
                else None
            )
            weight = level._match_weight
            if weight is None:
                raise ValueError(
                    f"{comparison.output_column_name}: level {level.label_for_charts!r} has no "
                    "m or u probability; train the model fully first"
                )
            levels.append({
                "label": level.label_for_charts,
                "value": int(level.comparison_vector_value),
                "sql": "ELSE" if level._is_else_level else level.sql_condition,
                "weight": float(weight),
                "tf_column": level._tf_adjustment_input_column_name if u_exact else None,
                "tf_weight": float(level._tf_adjustment_weight),
                "tf_minimum_u": float(level._tf_minimum_u_value),
                "log2_u_exact": math.log2(u_exact) if u_exact else None,
            })  # fmt: skip
        comparisons.append({"name": comparison.output_column_name, "levels": levels})
    return {
        "version": version,
        "prior_weight": math.log2(prior / (1 - prior)),
        "comparisons": comparisons,
    }
