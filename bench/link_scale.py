"""``graphcdp bench link --records 1000000 --fresh --json``: batch linking at scale.

Synthetic people (:mod:`bench.synthetic`) until there are ``--records`` records; a model is
trained on a sample of 50,000 of them; the graph is cleared and every record is loaded as a
customer of its own (``bench.load_records``: records, customers, identifiers, blocking keys,
UNWIND batches; no resolution, so every link the model finds is a join to make). Then
``graphcdp match link`` runs over the whole graph, timed: reading the records, Splink's
prediction over the model's blocking rules (DuckDB, or Spark with ``--spark``), scoring every
pair in-process, writing ``MATCHES``/``REVIEW`` links and joining the customers under the
identity rules. It prints one JSON object: the link report with seconds per phase, records per
second, and the clusters' quality against the truth (pairwise precision, recall, F1,
over-merged clusters).
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time
from typing import Any

from bench.quality import report as quality
from bench.synthetic import generate
from graph.cypher import q
from graph.model import Observation, now_iso
from graph.repository.identity import dumps, golden_rows
from graphcdp.settings import Settings
from ingest.records import record_observation
from matching.deterministic import golden_update
from matching.features import model_record
from matching.realtime import Matcher, Thresholds
from matching.survivorship import DEFAULT_POLICY
from matching.train import train

LOAD_BATCH = 5_000
TRAIN_SAMPLE = 50_000
RECORDS_PER_PERSON = 3.1  # bench.synthetic's mean, to size the people for --records


def dataset(records: int, seed: int) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """At least ``records`` synthetic records (then cut to that many) and the truth."""
    made = generate(max(1, int(records / RECORDS_PER_PERSON)), seed)
    rows, truth = list(made.records), dict(made.truth)
    extra = seed
    while len(rows) < records:
        extra += 1_000
        more = generate(max(1, int((records - len(rows)) / RECORDS_PER_PERSON) + 10), extra)
        prefix = f"x{extra}-"
        for r in more.records:
            rows.append(r | {"record_id": prefix + r["record_id"]})
            truth[prefix + r["record_id"]] = prefix + more.truth[r["record_id"]]
    rows = rows[:records]
    return rows, {r["record_id"]: truth[r["record_id"]] for r in rows}


async def load(settings: Settings, rows: list[dict[str, Any]], golden: bool = False) -> float:
    """Clear the graph and load every record as its own customer; seconds taken.

    With ``golden``, each customer also gets its record's golden attributes (email, phone,
    names ...: survivorship over one record, written by ``identity.write_golden`` as the worker
    writes them), so its profile reads as a real one (``bench api``). ``bench link`` leaves
    them out: it times the linking, and its graph has been loaded so since it began.
    """
    from bench.fresh import clear
    from graph.driver import open_driver

    driver = await open_driver(settings)
    started = time.monotonic()
    try:
        await clear(settings, driver)
        now = now_iso()
        for start in range(0, len(rows), LOAD_BATCH):
            observations = [record_observation(r) for r in rows[start : start + LOAD_BATCH]]
            await driver.execute_query(
                q("bench.load_records").query(), rows=[_row(o) for o in observations], now=now,
                database_=settings.neo4j_database,
            )  # fmt: skip
            if golden:
                updates = {
                    f"cus_{o.record_id}": golden_update({}, [o], DEFAULT_POLICY)
                    for o in observations
                    if o.golden
                }
                await driver.execute_query(
                    q("identity.write_golden").query(), rows=golden_rows(updates),
                    database_=settings.neo4j_database,
                )  # fmt: skip
    finally:
        await driver.close()
    return time.monotonic() - started


def _row(obs: Observation) -> dict[str, Any]:
    names, dobs = obs.person()
    return {
        "record_id": obs.record_id, "source": obs.source, "customer_id": f"cus_{obs.record_id}",
        "golden_json": dumps(obs.golden), "first_names": sorted(names), "dobs": sorted(dobs),
        "blocking": dict(obs.blocking),
        "identifiers": [{"key": i.key, "type": i.type, "value": i.value}
                        for i in obs.identifiers],
    }  # fmt: skip


async def link(
    settings: Settings, matcher: Matcher, spark: str | None, record_ids: list[str]
) -> dict[str, Any]:
    from graph.driver import open_driver
    from graph.repository.profiles import customers_of_records
    from ingest.link_job import link_graph

    driver = await open_driver(settings)
    try:
        found = await link_graph(
            driver, settings.neo4j_database, matcher, settings.rules(), None, spark_master=spark
        )
        ids = await customers_of_records(driver, settings.neo4j_database, record_ids)
    finally:
        await driver.close()
    return found.as_dict() | {"refusals": found.refusals, "clusters": ids}


def run(settings: Settings, records: int, seed: int, spark: str | None) -> dict[str, Any]:
    started = time.monotonic()
    rows, truth = dataset(records, seed)
    generate_seconds = time.monotonic() - started
    sample = random.Random(seed).sample(rows, min(TRAIN_SAMPLE, len(rows)))
    started = time.monotonic()
    model = train([model_record(r["record_id"], r) for r in sample], seed=seed)
    train_seconds = time.monotonic() - started
    load_seconds = asyncio.run(load(settings, rows))
    matcher = Matcher(model, Thresholds(settings.match_link, settings.match_review))
    linked = asyncio.run(link(settings, matcher, spark, list(truth)))
    clusters = linked.pop("clusters")
    found = quality(truth, clusters, {})
    keep = ("pairwise_precision", "pairwise_recall", "pairwise_f1", "over_merged_clusters")
    return {
        "records": len(rows),
        "backend": spark or "duckdb",
        "generate_seconds": round(generate_seconds, 1),
        "train_seconds": round(train_seconds, 1),
        "load_seconds": round(load_seconds, 1),
        "link": linked,
        "link_records_per_s": round(len(rows) / max(linked["seconds"], 1e-9)),
        "quality": {k: found[k] for k in keep},
    }


def main(settings: Settings, records: int, seed: int, spark: str | None, fresh: bool) -> int:
    if not fresh:
        print("graphcdp bench link: it clears the graph: pass --fresh", file=sys.stderr)
        return 2
    print(json.dumps(run(settings, records, seed, spark)))
    return 0
