"""``graphcdp resolve``: a record file through the worker's resolution path, clusters out.

Rows are read and checked by :mod:`ingest.importer` (the same reader as ``graphcdp import``),
turned into observations by :func:`ingest.records.record_observation` and applied in batches
by :meth:`graph.repository.IdentityRepository.apply` with the same resolver the worker runs,
straight to Neo4j (no Kafka: this is the batch entry point). At the end, ``record_id,
customer_id`` is written for every accepted record, reading each record's live customer from
the graph, so merges made by later batches count. Nothing is published to ``cdp.changes``.

The graph must be empty, or ``fresh`` must be given to clear it first: a file resolved into
an existing graph would mix with it, and the output would no longer describe the file alone.
"""

from __future__ import annotations

import csv
import functools
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from neo4j import AsyncDriver

from graph.cypher import q
from graph.model import Observation, now_iso
from graph.repository import (
    IdentityRepository,
    Planner,
    SettingsRepository,
    customers_of_records,
)
from graphcdp.settings import Settings
from ingest.importer import Reject, load_mapping, read_records, write_rejects
from ingest.planning import model_source, plan_batch
from ingest.records import record_observation
from ingest.spec import ENVELOPE_KEY, InvalidEvent
from matching.rules import RulesSource

BATCH = 500


class NotEmpty(RuntimeError):
    """The graph holds data and ``fresh`` was not given."""


@dataclass
class ResolveReport:
    records: int = 0
    rejected: int = 0
    duplicates: int = 0
    customers: int = 0
    merges: int = 0
    conflicts: int = 0
    blocked_identifiers: set[str] = field(default_factory=set)
    seconds: float = 0.0
    clusters: dict[str, str] = field(default_factory=dict)  # record_id -> customer_id

    def as_dict(self) -> dict[str, object]:
        return {
            "records": self.records,
            "rejected": self.rejected,
            "duplicates": self.duplicates,
            "customers": self.customers,
            "merges": self.merges,
            "conflicts": self.conflicts,
            "blocked_identifiers": len(self.blocked_identifiers),
            "seconds": round(self.seconds, 3),
            "records_per_s": round(self.records / self.seconds, 1) if self.seconds else None,
        }


# Nodes deleted a transaction: AuditBatch nodes hold up to a few hundred KB of entries each,
# and Neo4j's transaction state for deleting 10,000 of them (3,003 of 107 KB on average,
# after some benchmark runs) went over its memory pool (MemoryPoolOutOfMemoryError).
CLEAR_BATCH = 10_000
CLEAR_AUDIT_BATCH = 100


async def clear_graph(driver: AsyncDriver, database: str, label: str | None = None) -> int:
    """Delete every node (or every node of ``label``) in batches; the schema stays. The
    audit log's batches go first, a few at a time (``CLEAR_AUDIT_BATCH``)."""
    deleted = 0
    async with driver.session(database=database) as session:
        if label is None:
            passes = [("AuditBatch", CLEAR_AUDIT_BATCH), (None, CLEAR_BATCH)]
        else:
            passes = [(label, CLEAR_AUDIT_BATCH if label == "AuditBatch" else CLEAR_BATCH)]
        for name, batch in passes:
            result = await session.run(q("graph.clear_graph").query(), label=name, batch=batch)
            record = await result.single()
            deleted += int(record["deleted"]) if record else 0
    return deleted


async def count_nodes(driver: AsyncDriver, database: str) -> int:
    records, _, _ = await driver.execute_query(q("graph.count_nodes").query(), database_=database)
    return int(records[0]["nodes"])


async def resolve_file(
    settings: Settings,
    driver: AsyncDriver,
    path: Path,
    *,
    mapping_path: Path | None = None,
    rejects_path: Path | None = None,
    fresh: bool = False,
    require_empty: bool = True,
    progress: TextIO | None = sys.stderr,
) -> ResolveReport:
    """Resolve every record of ``path`` into the graph; see the module docstring.

    Raises:
        NotEmpty: the graph holds nodes, ``fresh`` is false and ``require_empty`` is true.
        ImportFileError, MappingError: as :func:`ingest.importer.read_records`.
    """
    database = settings.neo4j_database
    if fresh:
        await clear_graph(driver, database)
    elif require_empty and await count_nodes(driver, database):
        raise NotEmpty("the graph is not empty: pass --fresh to clear it first")
    started = time.monotonic()
    mapping = load_mapping(mapping_path, "records") if mapping_path else None
    rules = await RulesSource(
        settings.rules(), SettingsRepository(driver, database).identity_rules
    ).current()
    matcher = await model_source(settings, driver).current()
    planner: Planner = functools.partial(
        plan_batch, rules=rules, traits=settings.trait_definitions(), matcher=matcher
    )
    repo = IdentityRepository(driver, database)
    options = settings.normalise_options()
    report = ResolveReport()
    rejects: list[Reject] = []
    accepted: list[str] = []
    batch: list[Observation] = []
    received_at = now_iso()

    async def flush() -> None:
        result = await repo.apply(batch, planner, candidates=matcher is not None)
        report.merges += len(result.merges)
        report.conflicts += result.conflicts
        report.blocked_identifiers |= set(result.blocked)
        batch.clear()
        _progress(progress, report, started)

    for item in read_records(path, mapping):
        if isinstance(item, Reject):
            rejects.append(item)
            if item.duplicate:
                report.duplicates += 1
            else:
                report.rejected += 1
            continue
        message = {**item.to_message(), ENVELOPE_KEY: {"source": item.source,
                                                       "receivedAt": received_at}}  # fmt: skip
        try:
            observation = record_observation(message, options)
        except InvalidEvent as err:
            rejects.append(Reject(item.line, str(err), dict(item.to_message())))
            report.rejected += 1
            continue
        batch.append(observation)
        accepted.append(observation.record_id)
        report.records += 1
        if len(batch) >= BATCH:
            await flush()
    if batch:
        await flush()
    report.clusters.update(await customers_of_records(driver, database, accepted))
    report.customers = len(set(report.clusters.values()))
    report.seconds = time.monotonic() - started
    if rejects:
        write_rejects(rejects_path or path.with_name(path.name + ".rejects.jsonl"), rejects)
    _progress(progress, report, started, final=True)
    return report


def write_clusters(report: ResolveReport, output: Path) -> None:
    """``record_id,customer_id`` for every resolved record, in record id order."""
    with output.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["record_id", "customer_id"])
        writer.writerows(sorted(report.clusters.items()))


def _progress(
    out: TextIO | None, report: ResolveReport, started: float, *, final: bool = False
) -> None:
    if out is None:
        return
    rate = report.records / max(time.monotonic() - started, 1e-6)
    out.write(
        f"\r  {report.records:>9,} records  {report.merges:>7,} merges  "
        f"{report.conflicts:>7,} conflicts  {rate:>8,.0f} records/s" + ("\n" if final else "")
    )
    out.flush()
