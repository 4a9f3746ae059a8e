"""``graphcdp bench resolve --json``: resolution quality and speed on labelled synthetic data.

Generates people with the classic traps (:mod:`bench.synthetic`), writes their records to a
CSV file, runs it through ``graphcdp resolve`` (:func:`ingest.resolve_job.resolve_file`: the
worker's resolution path into the real Neo4j, which it clears first) and scores the clusters
against the truth (:mod:`bench.quality`): pairwise and B-cubed precision, recall and F1,
over-merged clusters overall and per trap, and records per second.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from pathlib import Path

from bench.fresh import clear
from bench.quality import report
from bench.synthetic import generate, write
from graph.driver import open_driver
from graphcdp.settings import Settings
from ingest.resolve_job import count_nodes, resolve_file


async def run(settings: Settings, persons: int, seed: int, fresh: bool) -> dict[str, object]:
    """Generate, resolve (clearing the graph), score; the JSON-ready result."""
    dataset = generate(persons, seed)
    driver = await open_driver(settings)
    try:
        if not fresh and await count_nodes(driver, settings.neo4j_database):
            raise SystemExit(
                "graphcdp bench resolve: it clears the graph, which is not empty: pass --fresh"
            )
        with tempfile.TemporaryDirectory() as tmp:
            records, truth = Path(tmp) / "records.csv", Path(tmp) / "truth.csv"
            write(dataset, records, truth)
            await clear(settings, driver)
            resolved = await resolve_file(settings, driver, records, fresh=True)
    finally:
        await driver.close()
    scores = report(dataset.truth, resolved.clusters, dataset.traps)
    return {
        "persons": persons,
        "seed": seed,
        **scores,
        "merges": resolved.merges,
        "conflicts": resolved.conflicts,
        "rejected": resolved.rejected,
        "records_per_s": resolved.as_dict()["records_per_s"],
    }


def main(settings: Settings, persons: int, seed: int, fresh: bool, as_json: bool) -> int:
    result = asyncio.run(run(settings, persons, seed, fresh))
    if as_json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>24}: {value}", file=sys.stdout)
    return 0
