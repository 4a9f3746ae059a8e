"""Real-time matching: an observation's candidate records scored with the active model.

Pure logic over plain values: the repository finds candidates by blocking key
(match.candidates), this scores them in-process (:mod:`matching.scorer`, Splink's numbers)
and sorts them by threshold. At or above ``link`` (a match probability), and corroborated by
more than names (:func:`corroborated`), a pair is a model link: resolution may join the
records, under the identity rules; otherwise at or above ``review`` it is a REVIEW candidate
for a person to decide. Every verdict keeps the model
version, the weight, the probability and each comparison's contribution (the explanation).
"""

from __future__ import annotations

import functools
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from graph.model import Candidate, MatchLink, Observation
from matching.features import model_record
from matching.scorer import Score, Scorer
from matching.train import TrainedModel, parse_model

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Thresholds:
    link: float = 0.99
    review: float = 0.90


class Matcher:
    """A loaded model, ready to score observations against their candidates."""

    def __init__(self, model: TrainedModel, thresholds: Thresholds = Thresholds()) -> None:
        self.version = model.version
        self.thresholds = thresholds
        self.splink = model.splink  # Splink's own model JSON, for batch prediction
        self._scorer = Scorer(model.scoring)
        self._tf = model.tf

    def score(self, left: Mapping[str, Any], right: Mapping[str, Any]) -> Score:
        """Score two model records (with their ``tf_`` columns, :meth:`features`)."""
        return self._scorer.score(left, right)

    def score_levels(
        self, levels: Sequence[int], left: Mapping[str, Any], right: Mapping[str, Any]
    ) -> Score:
        """Score two model records whose comparison levels Splink already found."""
        return self._scorer.score_levels(levels, left, right)

    @property
    def comparisons(self) -> tuple[str, ...]:
        """The model's comparisons (Splink's output column names), in order."""
        return tuple(c.name for c in self._scorer.comparisons)

    @property
    def tf_tables(self) -> Mapping[str, Mapping[str, float]]:
        """column -> value -> term frequency, from the model's training records."""
        return self._tf

    def features(self, record_id: str, golden: Mapping[str, Any]) -> dict[str, Any]:
        """The model record with its term frequencies (``tf_<column>``; None when unseen)."""
        out: dict[str, Any] = dict(model_record(record_id, golden))
        for column, table in self._tf.items():
            value = out.get(column)
            out["tf_" + column] = table.get(value) if value else None
        return out

    def verdicts(
        self, batch: Sequence[Observation], candidates: Mapping[str, Sequence[Candidate]]
    ) -> list[MatchLink]:
        """The pairs at or above the review threshold, strongest first per observation."""
        out = []
        for obs in batch:
            found = candidates.get(obs.record_id)
            if not found:
                continue
            left = self.features(obs.record_id, obs.golden)
            scored = []
            for candidate in found:
                right = self.features(candidate.record_id, json.loads(candidate.golden_json))
                scored.append((self._scorer.score(left, right), candidate))
            scored.sort(key=lambda pair: -pair[0].match_weight)
            for score, candidate in scored:
                if score.probability < self.thresholds.review:
                    continue
                kind: Literal["link", "review"] = (
                    "link"
                    if score.probability >= self.thresholds.link and corroborated(score)
                    else "review"
                )
                out.append(MatchLink(obs.record_id, candidate.record_id, kind, score.probability,
                                     score.match_weight, self.version, explain(score)))  # fmt: skip
        return out


# Comparisons many people share a value of: agreement on these alone is a namesake, not proof.
NAMESAKE = frozenset({"first_name", "last_name", "city"})


def corroborated(score: Score) -> bool:
    """Whether something beyond the name and the town agrees (a birth date, the same email, a
    phone, an address or postcode): the model never links two records on a common name alone;
    such a pair goes to review. An email that only shares its user name (``wei_zhang@`` at two
    providers) is built from the name, so it does not count."""
    return any(
        c.comparison not in NAMESAKE
        and c.weight > 0
        and (c.comparison != "email" or c.level.lower().startswith("exact match on email"))
        for c in score.contributions
    )


def explain(score: Score) -> str:
    """The waterfall of a score as JSON: each comparison's level and weight, in order."""
    return "[" + ",".join(_part(*c) for c in score.contributions) + "]"


@functools.lru_cache(maxsize=1 << 16)
def _part(comparison: str, level: str, _value: int, weight: float, tf_adjustment: float) -> str:
    """One comparison's step of the waterfall, as JSON (cached: batch linking explains every
    pair, and most steps repeat)."""
    return json.dumps(
        {"comparison": comparison, "level": level, "weight": round(weight, 4),
         "tf_adjustment": round(tf_adjustment, 4)},
        separators=(",", ":"),
    )  # fmt: skip


class ModelSource:
    """The model the workers match with: a fixed one (a file setting), or the version the
    graph's ``active_model`` setting names, re-read every ``ttl`` seconds so every worker
    follows ``graphcdp match activate`` within ``ttl``.

    ``active`` returns the active version (None: none), ``fetch`` a version's model text.
    """

    def __init__(
        self,
        active: Callable[[], Awaitable[str | None]],
        fetch: Callable[[str], Awaitable[str | None]],
        thresholds: Thresholds,
        fixed: Matcher | None = None,
        ttl: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._active, self._fetch, self._thresholds = active, fetch, thresholds
        self._fixed, self._ttl, self._clock = fixed, ttl, clock
        self._checked = float("-inf")
        self._matcher: Matcher | None = fixed

    async def current(self) -> Matcher | None:
        if self._fixed is not None or self._clock() - self._checked < self._ttl:
            return self._matcher
        version = await self._active()
        self._checked = self._clock()
        if version is None:
            self._matcher = None
        elif self._matcher is None or self._matcher.version != version:
            text = await self._fetch(version)
            if text is None:
                log.error("the active model %s is not in the graph; matching is off", version)
                self._matcher = None
            else:
                self._matcher = Matcher(parse_model(text, f"model {version}"), self._thresholds)
        return self._matcher
