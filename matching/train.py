"""Training a Splink 5 model (DuckDB backend) over the record attributes.

Comparisons (:data:`comparisons`), chosen for records of people from CRM, web, app, shop and
support sources:

- first and last name: exact match with term-frequency adjustment (a match on a rare name
  counts for more than one on "smith"), Jaro-Winkler at 0.92 and 0.88 for typos and variants,
  then Jaro-Winkler at 0.7; the first name also has a level for names found swapped (a form
  that put the surname first), once only, since two levels would count one swap twice;
- date of birth: exact, then Damerau-Levenshtein at 1 and 2 on the ISO string (a swapped or
  mistyped digit);
- email: Splink's ``EmailComparison`` (exact with term frequency, the same user name at
  another domain, Jaro-Winkler on the address and on the user name);
- phone: exact; postcode: exact, then Damerau-Levenshtein at 1 (two digits swapped);
- address line: exact, Levenshtein at 2, Jaro-Winkler at 0.9 (a lost or split word), then
  Levenshtein at 5; city: exact with term-frequency adjustment, then Jaro-Winkler at 0.9.

Blocking rules for predictions (:func:`matching.features.splink_blocking_rules`) pair records
that share an email, a phone, a last name and birth date, a first and last name (or the two
swapped), a postcode and last name, a first name and birth date, a postcode and birth date, an
address line and city, a first name and postcode, a birth date and city, or an address line
and birth date: each catches true pairs the others miss (a changed email, a typo in one name,
a new surname, a mistyped postcode or town) while keeping the pair count near linear. On
FEBRL4 they leave about 50 of 5,000 true pairs unblocked.

Training: the prior (lambda) from deterministic rules on email, phone and name with birth
date (those that pair any records) at an assumed recall of 0.7 (when they pair fewer than one
pair per 1,000 records, rules on two of first name, last name and birth date instead); u by
random sampling; m by expectation maximisation in up to three sessions blocked on the first
of email, date of birth, phone, first and last name, and postcode that pair at least 50
record pairs, so every comparison is estimated in at least one session that does not block
on it. A session whose EM drives an m probability below what float64 holds (Splink refuses
it; blocking on postcode did so on synthetic data) is skipped and named in the summary.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graph.model import now_iso
from matching.features import FEATURES, splink_blocking_rules
from matching.scorer import export_spec

MODEL_FORMAT = "graphcdp-model/1"


@dataclass
class TrainedModel:
    """A saved model: Splink's JSON, our scoring spec, and the training summary."""

    version: str
    splink: dict[str, Any]
    scoring: dict[str, Any]
    summary: dict[str, Any] = field(default_factory=dict)
    chart_html: str = ""
    # column -> value -> term frequency in the training records (as Splink computes it: the
    # value's share of the column's non-null values), for the in-process scorer
    tf: dict[str, dict[str, float]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"format": MODEL_FORMAT, "version": self.version, "summary": self.summary,
                "splink": self.splink, "scoring": self.scoring, "tf": self.tf}  # fmt: skip

    def save(self, path: Path) -> None:
        path.write_text(self.text())

    def text(self) -> str:
        return json.dumps(self.as_dict(), indent=1, sort_keys=True)


def load_model(path: Path) -> TrainedModel:
    return parse_model(path.read_text(), str(path))


def parse_model(text: str, origin: str = "model") -> TrainedModel:
    """A model from its file's text (as saved, or as stored in the graph).

    Raises:
        ValueError: not a GraphCDP model file.
    """
    data = json.loads(text)
    if not isinstance(data, dict) or data.get("format") != MODEL_FORMAT:
        raise ValueError(f"{origin}: not a GraphCDP model file ({MODEL_FORMAT})")
    return TrainedModel(data["version"], data["splink"], data["scoring"], data["summary"],
                        tf=data.get("tf", {}))  # fmt: skip


def comparisons() -> list[Any]:
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    def name(column: str, swapped_with: str | None = None) -> Any:
        swapped = (
            [cll.ColumnsReversedLevel(column, swapped_with, symmetrical=True)]
            if swapped_with
            else []
        )
        return cl.CustomComparison(
            output_column_name=column,
            comparison_levels=[
                cll.NullLevel(column),
                cll.ExactMatchLevel(column, term_frequency_adjustments=True),
                cll.JaroWinklerLevel(column, 0.92),
                cll.JaroWinklerLevel(column, 0.88),
                *swapped,
                cll.JaroWinklerLevel(column, 0.7),
                cll.ElseLevel(),
            ],
        )

    address = "address_line"
    return [
        name("first_name", swapped_with="last_name"),  # one swap level: a swap is one error
        name("last_name"),
        cl.DamerauLevenshteinAtThresholds("dob", [1, 2]),
        cl.EmailComparison("email"),
        cl.ExactMatch("phone"),
        cl.CustomComparison(
            output_column_name=address,
            comparison_levels=[
                cll.NullLevel(address),
                cll.ExactMatchLevel(address),
                cll.LevenshteinLevel(address, 2),
                cll.JaroWinklerLevel(address, 0.9),
                cll.LevenshteinLevel(address, 5),
                cll.ElseLevel(),
            ],
        ),
        cl.DamerauLevenshteinAtThresholds("postcode", [1]),
        cl.JaroWinklerAtThresholds("city", [0.9]).configure(term_frequency_adjustments=True),
    ]


def train(
    records: Sequence[dict[str, str | None]],
    *,
    seed: int = 1,
    max_pairs: float = 1e6,
    version: str | None = None,
) -> TrainedModel:
    """Train on model records (:func:`matching.features.model_record`); deterministic for a
    seed."""
    import duckdb
    import pyarrow as pa  # type: ignore[import-untyped,unused-ignore]
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    started = time.monotonic()
    table = pa.Table.from_pylist(
        list(records),
        schema=pa.schema([("record_id", pa.string())] + [(f, pa.string()) for f in FEATURES]),
    )
    db = DuckDBAPI(connection=duckdb.connect())
    frame = db.register(table, dataset_display_name="records")
    settings = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="record_id",
        comparisons=comparisons(),
        blocking_rules_to_generate_predictions=splink_blocking_rules(),
        retain_intermediate_calculation_columns=True,
    )
    linker = Linker(frame, settings)
    exact: list[tuple[str, ...]] = [
        cols for cols in (("email",), ("phone",), ("first_name", "last_name", "dob"))
        if _pairs(records, cols) > 0
    ]  # fmt: skip
    if sum(_pairs(records, cols) for cols in exact) * 1000 < len(records):
        # Almost nothing agrees exactly (every duplicate has an error somewhere, as in
        # RLdata10000): pairs agreeing on two of first name, last name and birth date stand in.
        exact = [("first_name", "last_name"), ("first_name", "dob"), ("last_name", "dob")]
    linker.training.estimate_probability_two_random_records_match(
        [block_on(*cols) for cols in exact], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=max_pairs, seed=seed)
    # EM sessions blocked on columns that pair enough records; data without emails or phones
    # (a CRM extract, FEBRL) falls back to names, birth dates and postcodes.
    sessions, skipped = 0, []
    for cols in (("email",), ("dob",), ("phone",), ("first_name", "last_name"), ("postcode",)):
        if sessions >= 3 or _pairs(records, cols) < 50:
            continue
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(block_on(*cols))
        except ValueError as err:  # an m probability that underflows float64 (Splink refuses it)
            skipped.append(f"{'+'.join(cols)}: {str(err)[:80]}")
            continue
        sessions += 1
    with tempfile.TemporaryDirectory() as tmp:
        model_path = Path(tmp) / "model.json"
        linker.misc.save_model_to_json(str(model_path), overwrite=True)
        splink_model = json.loads(model_path.read_text())
        chart_path = Path(tmp) / "chart.html"
        linker.visualisations.m_u_parameters_chart().save_offline_chart(
            str(chart_path), overwrite=True, print_msg=False
        )
        chart = chart_path.read_text()
    version = version or "m" + now_iso().replace(":", "").replace("-", "").replace(".", "")
    untrained = [
        f"{c['output_column_name']}: {level.get('label_for_charts', level['sql_condition'])}"
        for c in splink_model["comparisons"]
        for level in c["comparison_levels"]
        if not level.get("is_null_level") and "m_probability" not in level
    ]
    summary = {
        "trained_at": now_iso(),
        "records": len(records),
        "probability_two_random_records_match": splink_model[
            "probability_two_random_records_match"
        ],
        "u_sample_pairs": max_pairs,
        "em_sessions": sessions,
        "em_sessions_skipped": skipped,
        "levels_with_default_m": untrained,
        "seconds": round(time.monotonic() - started, 2),
        "seed": seed,
        "splink": _splink_version(),
    }
    scoring = export_spec(splink_model, version)
    return TrainedModel(
        version, splink_model, scoring, summary, chart, tf=_tf_tables(records, scoring)
    )


def _pairs(records: Sequence[dict[str, str | None]], columns: tuple[str, ...]) -> int:
    """How many record pairs agree on every one of ``columns`` (all present)."""
    counts = Counter(
        tuple(r.get(c) for c in columns) for r in records if all(r.get(c) for c in columns)
    )
    return sum(n * (n - 1) // 2 for n in counts.values())


def _tf_tables(
    records: Sequence[dict[str, str | None]], scoring: dict[str, Any]
) -> dict[str, dict[str, float]]:
    columns = {lv["tf_column"] for c in scoring["comparisons"] for lv in c["levels"]} - {None}
    tables: dict[str, dict[str, float]] = {}
    for column in sorted(columns):
        counts = Counter(r[column] for r in records if r.get(column))
        total = sum(counts.values())
        tables[column] = {value: n / total for value, n in counts.items() if value} if total else {}
    return tables


def _splink_version() -> str:
    from importlib.metadata import version

    return version("splink")
