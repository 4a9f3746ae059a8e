"""``graphcdp bench realtime-match --json``: scoring one new record against what is known.

A model is trained on labelled synthetic people (:mod:`bench.synthetic`); most records are
"known", a sample is held back and arrives one at a time. For each arriving record, in the
same run:

- **in-process**: candidates come from the model's blocking keys (email, phone, last name
  and birth date, first and last name, postcode and last name) in an in-memory index, and
  :class:`matching.scorer.Scorer` scores them: ``inprocess_p50_ms``, ``inprocess_p99_ms``;
- **Splink**: ``linker.inference.predict_between(known, [record])`` with the same model and
  term-frequency tables: ``splink_p50_ms``, ``splink_p99_ms``.

Both find the same candidate pairs (the same blocking rules) and the bench checks that they
give the same match weights (``max_weight_difference``). The Neo4j round trip that fetches
candidates in the worker is not included here (about 4 ms on this machine, see
``bench/README.md``).
"""

from __future__ import annotations

import collections
import json
import random
import statistics
import time
from typing import Any

from bench.synthetic import generate
from matching.features import BLOCKING_RULES, FEATURES, SWAPPED_NAMES, model_record
from matching.scorer import Scorer
from matching.train import train

TF_COLUMNS = ("first_name", "last_name", "email", "city")
BLOCKING: tuple[tuple[str, ...], ...] = tuple(BLOCKING_RULES.values())


def run(persons: int, arrivals: int, seed: int) -> dict[str, Any]:
    import duckdb
    import pyarrow as pa  # type: ignore[import-untyped,unused-ignore]
    from splink import DuckDBAPI, Linker

    dataset = generate(persons, seed)
    records = [model_record(r["record_id"], r) for r in dataset.records]
    rng = random.Random(seed)
    rng.shuffle(records)
    arriving, known = records[:arrivals], records[arrivals:]
    started = time.monotonic()
    model = train(known, seed=seed)
    train_seconds = time.monotonic() - started
    freq = {c: collections.Counter(r[c] for r in known if r[c]) for c in TF_COLUMNS}
    total = {c: sum(freq[c].values()) for c in TF_COLUMNS}

    def with_tf(record: dict[str, str | None]) -> dict[str, Any]:
        out: dict[str, Any] = dict(record)
        for c in TF_COLUMNS:
            value = record[c]
            out["tf_" + c] = freq[c][value] / total[c] if value and freq[c][value] else None
        return out

    known_tf = [with_tf(r) for r in known]
    index: dict[tuple[str, ...], dict[tuple[str, ...], list[dict[str, Any]]]] = {}
    for rule in BLOCKING:
        table: dict[tuple[str, ...], list[dict[str, Any]]] = collections.defaultdict(list)
        for r in known_tf:
            key = tuple(r[c] for c in rule)
            if all(key):
                table[key].append(r)
        index[rule] = table
    scorer = Scorer(model.scoring)
    db = DuckDBAPI(connection=duckdb.connect())
    # Splink reads term frequencies from its own tables (computed over the known records, as
    # the in-process values are); the records it gets carry the features only.
    schema = pa.schema([(c, pa.string()) for c in ("record_id", *FEATURES)])
    known_frame = db.register(
        pa.Table.from_pylist(known, schema=schema), dataset_display_name="known"
    )
    linker = Linker(known_frame, model.splink)
    for column in TF_COLUMNS:
        linker.table_management.compute_tf_table(column)
    ours, splinks, counts, worst, missed = [], [], [], 0.0, 0
    for n, record in enumerate(arriving):
        new = with_tf(record)
        t0 = time.perf_counter()
        found: dict[str, dict[str, Any]] = {}
        lookups = [(rule, tuple(new[c] for c in rule)) for rule in index]
        lookups.append((BLOCKING_RULES["bk_names"], tuple(new[c] for c in SWAPPED_NAMES)))
        for rule, key in lookups:
            table = index[rule]
            if all(key):
                for candidate in table.get(key, []):
                    found[str(candidate["record_id"])] = candidate
        scores = {rid: scorer.score(new, c).match_weight for rid, c in found.items()}
        ours.append((time.perf_counter() - t0) * 1000)
        counts.append(len(found))
        frame = db.register(
            pa.Table.from_pylist([record], schema=schema),
            dataset_display_name=f"new_{n}",
        )
        t0 = time.perf_counter()
        rows = linker.inference.predict_between(known_frame, frame).as_record_list()
        splinks.append((time.perf_counter() - t0) * 1000)
        for row in rows:
            ids = {str(row["record_id_l"]), str(row["record_id_r"])} - {str(new["record_id"])}
            for other in ids:
                if other in scores:
                    worst = max(worst, abs(scores[other] - row["match_weight"]))
                else:
                    missed += 1  # a pair Splink's blocking found and the index did not
    ours.sort()
    splinks.sort()
    return {
        "known_records": len(known),
        "arrivals": len(arriving),
        "train_seconds": round(train_seconds, 2),
        "candidates_mean": round(statistics.mean(counts), 1),
        "inprocess_p50_ms": round(_pct(ours, 50), 3),
        "inprocess_p99_ms": round(_pct(ours, 99), 3),
        "splink_p50_ms": round(_pct(splinks, 50), 1),
        "splink_p99_ms": round(_pct(splinks, 99), 1),
        "max_weight_difference": worst,
        "pairs_missed_by_index": missed,
    }


def _pct(values: list[float], p: int) -> float:
    return values[min(len(values) - 1, int(len(values) * p / 100))]


def main(persons: int, arrivals: int, seed: int) -> int:
    print(json.dumps(run(persons, arrivals, seed)))
    return 0
