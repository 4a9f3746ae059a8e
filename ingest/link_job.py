"""``graphcdp match link``: every candidate pair of the graph's records scored by Splink.

The records' stated attributes are read from the graph, and Splink (DuckDB) predicts over the
model's blocking rules, each block of more than ``BLOCK_LIMIT`` records left out
(:data:`matching.features.BLOCK_LIMIT`), with the model's own term-frequency tables
(registered as Splink's lookups: the same numbers the worker uses). Every pair at or above
the review probability becomes a verdict: ``MATCHES`` for a link (at or above the link
probability, and corroborated beyond names), ``REVIEW`` otherwise, each with its explanation
built from the comparison levels Splink chose (no second scoring). Then, strongest first, each
link joins the two customers when the identity rules allow it (limits, operators' splits, and
first names and birth dates that must agree, as for a model link in the stream), recorded as
a merge with cause ``model``; then the verdicts are written in UNWIND batches. Pairs a person
rejected (``NOT_MATCH``) are left alone.

With a Spark master configured (``GRAPHCDP_SPARK_MASTER``) Splink predicts on Spark instead of
DuckDB with the same model and term frequencies (:mod:`matching.spark`); every predicted pair
is scored again in-process, so what is written does not depend on the backend (Spark's
Jaro-Winkler differs from DuckDB's on a few strings, which only moves pairs near the review
threshold in or out).
"""

from __future__ import annotations

import asyncio
import functools
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from typing import Any, TextIO

from neo4j import AsyncDriver

from graph.cypher import q
from graph.repository import customers_of_records, model_records
from graph.repository.reviews import join_linked, write_links
from matching.agreement import agree
from matching.features import FEATURES, purged_keys_sql, splink_blocking_rules
from matching.realtime import Matcher, corroborated, explain
from matching.review import merge_refusal
from matching.rules import IdentityRules

BATCH = 5000  # links written per transaction
WINDOW = 20_000  # links scheduled together into rounds
ROUND = 4_000  # joins per round
LANES = 2  # transactions per round, run side by side


@dataclass
class LinkReport:
    records: int = 0
    pairs_scored: int = 0
    links: int = 0
    reviews: int = 0
    merged: int = 0
    refused: int = 0
    already_one: int = 0
    seconds: float = 0.0
    refusals: dict[str, int] = field(default_factory=dict)
    # seconds per phase: read, predict (Splink), score (the verdicts and explanations), join
    # (the customers joined), write (the MATCHES and REVIEW links)
    phases: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {k: v for k, v in self.__dict__.items() if k not in ("refusals", "phases")} | {
            "seconds": round(self.seconds, 2),
            "phase_seconds": {k: round(v, 2) for k, v in self.phases.items()},
        }

    def lap(self, phase: str, since: float) -> float:
        now = time.monotonic()
        self.phases[phase] = now - since
        return now


async def link_graph(
    driver: AsyncDriver, database: str, matcher: Matcher, rules: IdentityRules,
    progress: TextIO | None = sys.stderr, source: str | None = None,
    spark_master: str | None = None,
) -> LinkReport:  # fmt: skip
    started = lap = time.monotonic()
    report = LinkReport()
    rows: list[dict[str, Any]] = []
    async for record_id, golden in model_records(driver, database, source=source):
        rows.append(matcher.features(record_id, golden))
    report.records = len(rows)
    if len(rows) < 2:
        return report
    lap = report.lap("read", lap)
    predicted = predict(rows, matcher, spark_master)
    report.pairs_scored = len(predicted)
    lap = report.lap("predict", lap)
    rejected = await _not_matches(driver, database)
    by_id = {r["record_id"]: r for r in rows}
    verdicts: list[dict[str, Any]] = []
    for pair in predicted:
        a, b = str(pair["record_id_l"]), str(pair["record_id_r"])
        if (a, b) in rejected or (b, a) in rejected:
            continue
        if "levels" in pair:  # DuckDB's levels are the in-process scorer's (tested to 1e-6)
            score = matcher.score_levels(pair["levels"], by_id[a], by_id[b])
        else:  # Spark's Jaro-Winkler differs on a few strings: score again, as the worker does
            score = matcher.score(by_id[a], by_id[b])
        link = score.probability >= matcher.thresholds.link and corroborated(score)
        verdicts.append({
            "from": a, "to": b, "kind": "link" if link else "review",
            "probability": score.probability, "match_weight": score.match_weight,
            "model_version": matcher.version, "explanation": explain(score),
        })  # fmt: skip
    lap = report.lap("score", lap)
    report.links = sum(v["kind"] == "link" for v in verdicts)
    report.reviews = len(verdicts) - report.links
    check = functools.partial(merge_refusal, rules)
    names = agree if rules.model_check_names else _anyone
    links = sorted((v for v in verdicts if v["kind"] == "link"), key=lambda v: -v["match_weight"])
    await _join(driver, database, links, check, names, report, progress)
    lap = report.lap("join", lap)
    await _write_all(driver, database, verdicts)
    report.lap("write", lap)
    report.seconds = time.monotonic() - started
    return report


async def _write_all(driver: AsyncDriver, database: str, verdicts: list[dict[str, Any]]) -> None:
    """Write the verdicts in LANES transactions side by side, each lane a set of whole
    connected groups of records (:func:`lanes`), so no two lanes ever lock the same record
    and they cannot deadlock (written while the joins ran, they deadlocked with them)."""

    async def lane(part: list[dict[str, Any]]) -> None:
        for start in range(0, len(part), BATCH):
            await write_links(driver, database, part[start : start + BATCH])

    await asyncio.gather(*(lane(part) for part in lanes(verdicts, LANES)))


def lanes(verdicts: list[dict[str, Any]], n: int) -> list[list[dict[str, Any]]]:
    """The verdicts split into ``n`` parts that share no record: records linked by any
    verdict form a group (union-find), and each group goes whole to the lightest part."""
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for v in verdicts:
        a, b = root(v["from"]), root(v["to"])
        if a != b:
            parent[a] = b
    groups: dict[str, list[dict[str, Any]]] = {}
    for v in verdicts:
        groups.setdefault(root(v["from"]), []).append(v)
    parts: list[list[dict[str, Any]]] = [[] for _ in range(n)]
    for group in sorted(groups.values(), key=len, reverse=True):
        min(parts, key=len).extend(group)
    return parts


async def _join(
    driver: AsyncDriver, database: str, links: list[dict[str, Any]], check: Any, names: Any,
    report: LinkReport, progress: TextIO | None,
) -> None:  # fmt: skip
    """Join the linked customers, strongest link first for every customer, in rounds of up to
    ROUND links over distinct customers (LANES transactions side by side, :func:`join_linked`).

    A round takes the links in order and skips one that touches a customer an earlier link
    of the round took or skipped, so no weaker link of a customer ever goes before a
    stronger one: the outcome is the one-at-a-time outcome, in far fewer transactions. The
    records' customers are read once per WINDOW links and followed through the window's own
    merges; a pair whose customers changed otherwise (a worker merged them meanwhile) comes
    back from the transaction as a retry and is read again.
    """
    done = 0
    for start in range(0, len(links), WINDOW):
        pending = links[start : start + WINDOW]
        ids = sorted({r for v in pending for r in (v["from"], v["to"])})
        owners = await customers_of_records(driver, database, ids)
        moved: dict[str, str] = {}  # loser -> survivor, as this window merges them
        while pending:
            batch: list[dict[str, Any]] = []
            rest: list[dict[str, Any]] = []
            taken: set[str] = set()
            for v in pending:
                a, b = _live(owners, moved, v["from"]), _live(owners, moved, v["to"])
                if a == b:
                    report.already_one += 1
                    done += 1
                    continue
                if a not in taken and b not in taken and len(batch) < ROUND:
                    batch.append(v)
                else:
                    rest.append(v)
                taken |= {a, b}
            # The round's customers are distinct, so its parts lock nothing in common and run
            # side by side (Neo4j works each transaction on one core).
            parts = [batch[i::LANES] for i in range(LANES)]
            results = await asyncio.gather(*(
                join_linked(driver, database, [(v["from"], v["to"]) for v in part], check, names)
                for part in parts
            ))  # fmt: skip
            retry: list[dict[str, Any]] = []
            joined_all = [(v, j) for part, res in zip(parts, results, strict=True)
                          for v, j in zip(part, res, strict=True)]  # fmt: skip
            for v, joined in joined_all:
                if joined.retry:  # someone else merged meanwhile: read its records again
                    retry.append(v)
                    continue
                done += 1
                if joined.merged:
                    report.merged += 1
                    moved[joined.merged[1]] = joined.merged[0]
                elif joined.same:
                    report.already_one += 1
                else:
                    report.refused += 1
                    reason = str(joined.refused).split(" ")[-1]
                    report.refusals[reason] = report.refusals.get(reason, 0) + 1
            if retry:
                stale = sorted({r for v in retry for r in (v["from"], v["to"])})
                owners.update(await customers_of_records(driver, database, stale))
                rest = sorted(rest + retry, key=lambda v: -v["match_weight"])
            pending = rest
            if progress is not None:
                progress.write(f"\r  {done:>9,} / {len(links):,} links joined or refused")


def _live(owners: dict[str, str], moved: dict[str, str], record_id: str) -> str:
    """The record's customer now: as read, then through the merges made since."""
    customer = owners.get(record_id, record_id)
    while customer in moved:
        customer = moved[customer]
    return customer


def predict(
    rows: list[dict[str, Any]], matcher: Matcher, spark_master: str | None = None,
    detail: bool = False,
) -> list[dict[str, Any]]:  # fmt: skip
    """Every pair the model's blocking rules find, scored by Splink, at or above the review
    probability: on DuckDB in this process, or on Spark when a master is given
    (:mod:`matching.spark`). Term frequencies are the model's own tables (registered as
    Splink's lookups), as the worker uses them, not recomputed from these records.

    Each pair is ``record_id_l``, ``record_id_r``, ``match_weight`` and ``match_probability``;
    on DuckDB also ``levels``, the comparison levels in the model's order, so the pair's
    explanation needs no second scoring; with ``detail`` instead the compared values and every
    level (``gamma_<comparison>``, ``mw_<comparison>``), which cost far more to carry out of
    Splink than the pairs themselves."""
    import duckdb
    import pyarrow as pa  # type: ignore[import-untyped,unused-ignore]

    schema = pa.schema([(c, pa.string()) for c in ("record_id", *FEATURES)])
    records = pa.Table.from_pylist(
        [{c: r.get(c) for c in schema.names} for r in rows], schema=schema
    )
    connection = duckdb.connect()
    connection.register("graphcdp_records", records)
    table = connection.sql(purged_keys_sql("graphcdp_records")).to_arrow_table()
    connection.unregister("graphcdp_records")
    lookups = {
        column: pa.table({column: list(values), f"tf_{column}": list(values.values())},
                         schema=pa.schema([(column, pa.string()), (f"tf_{column}", pa.float64())]))
        for column, values in matcher.tf_tables.items()
    }  # fmt: skip
    if spark_master is None:
        from splink import DuckDBAPI

        # Splink 5 writes the levels only with the compared values; they stay inside DuckDB
        settings = _lean(matcher.splink, detail) | {
            "retain_matching_columns": True,
            "blocking_rules_to_generate_predictions": [
                rule.get_blocking_rule("duckdb").as_dict()
                for rule in splink_blocking_rules(purged=True)
            ],
        }
        fetch = _as_records if detail else functools.partial(_with_levels, connection, matcher)
        return _predict(DuckDBAPI(connection=connection), table, lookups, settings,
                        matcher.thresholds.review, lambda t: t, fetch)  # fmt: skip
    from matching.spark import collect_spark_garbage

    try:
        return _predict_on_spark(spark_master, table, lookups, matcher, detail)
    finally:
        collect_spark_garbage()


def _predict_on_spark(
    master: str, table: Any, lookups: dict[str, Any], matcher: Matcher, detail: bool
) -> list[dict[str, Any]]:
    from splink.backends.spark import SparkAPI

    from matching.spark import spark_session, spark_settings, stop_spark

    with (
        warnings.catch_warnings(),
        tempfile.TemporaryDirectory(prefix="graphcdp-spark-") as checkpoints,
    ):
        # py4j and pyspark drop sockets to the JVM without closing them (a ResourceWarning each)
        warnings.simplefilter("ignore", ResourceWarning)
        session = spark_session(master, checkpoints)
        try:
            api = SparkAPI(spark_session=session)  # type: ignore[no-untyped-call]
            settings = _lean(spark_settings(matcher.splink, purged=True), detail)
            return _predict(api, table, lookups, settings,
                            matcher.thresholds.review, session.createDataFrame,
                            _as_records)  # fmt: skip
        finally:
            stop_spark(session)


def _predict(
    api: Any, table: Any, lookups: dict[str, Any], settings: dict[str, Any], threshold: float,
    frame: Any, fetch: Any,
) -> list[dict[str, Any]]:  # fmt: skip
    from splink import Linker

    linker = Linker(api.register(frame(table)), settings)
    for column, lookup in lookups.items():
        linker.table_management.register_term_frequency_lookup(api.register(frame(lookup)), column)
    rows: list[dict[str, Any]] = fetch(
        linker.inference.predict(threshold_match_probability=threshold)
    )
    return rows


def _as_records(found: Any) -> list[dict[str, Any]]:
    return [dict(r) for r in found.as_record_list()]


def _with_levels(connection: Any, matcher: Matcher, found: Any) -> list[dict[str, Any]]:
    """The pairs with each comparison's level (``levels``, Splink's gamma values in the model's
    order) read straight from DuckDB's result table: only the columns needed, as tuples."""
    columns = ["record_id_l", "record_id_r", "match_weight", "match_probability"]
    gammas = ", ".join(f'"gamma_{c}"' for c in matcher.comparisons)
    # names only: the model's comparison names and Splink's own table, never a value
    sql = f"SELECT {', '.join(columns)}, [{gammas}] FROM {found.physical_name}"  # noqa: S608
    fetched = connection.execute(sql).fetchall()
    return [dict(zip(columns, row[:4], strict=True)) | {"levels": row[4]} for row in fetched]


def _lean(settings: dict[str, Any], detail: bool) -> dict[str, Any]:
    """The settings with or without Splink's intermediate and matching columns."""
    return settings | {
        "retain_intermediate_calculation_columns": detail,
        "retain_matching_columns": detail,
    }


def _anyone(*_: Any) -> bool:
    return True


async def _not_matches(driver: AsyncDriver, database: str) -> set[tuple[str, str]]:
    records, _, _ = await driver.execute_query(q("match.not_matches").query(), database_=database)
    return {(r["record_id"], r["other_record_id"]) for r in records}
