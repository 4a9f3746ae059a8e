"""Reading the real graph and topics from e2e tests (a helper module, not a test)."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from neo4j import GraphDatabase

from graphcdp.settings import Settings


def query(settings: Settings, cypher: str, **params: Any) -> list[dict[str, Any]]:
    with GraphDatabase.driver(settings.neo4j_uri) as driver:
        records, _, _ = driver.execute_query(cypher, params)  # type: ignore[call-overload]
        return [r.data() for r in records]


def wait_rows(
    settings: Settings, cypher: str, expected: int, timeout: float = 30, **params: Any
) -> list[dict[str, Any]]:
    """Poll ``cypher`` until it returns ``expected`` rows (the worker is asynchronous)."""
    deadline = time.monotonic() + timeout
    rows: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        rows = query(settings, cypher, **params)
        if len(rows) >= expected:
            return rows
        time.sleep(0.2)
    raise AssertionError(f"expected {expected} rows, got {len(rows)}: {rows}")


def end_offsets(settings: Settings, topic: str) -> dict[int, int]:
    async def run() -> dict[int, int]:
        consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap)
        await consumer.start()
        try:
            parts = [TopicPartition(topic, p) for p in range(settings.kafka_partitions)]
            ends = await consumer.end_offsets(parts)
            return {tp.partition: offset for tp, offset in ends.items()}
        finally:
            await consumer.stop()

    return asyncio.run(run())


def read_since(
    settings: Settings, topic: str, since: dict[int, int], needle: str, timeout: float = 30
) -> list[dict[str, Any]]:
    """JSON messages of ``topic`` after offsets ``since`` whose raw value contains ``needle``."""

    async def run() -> list[dict[str, Any]]:
        consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap)
        await consumer.start()
        found: list[dict[str, Any]] = []
        try:
            parts = [TopicPartition(topic, p) for p in since]
            consumer.assign(parts)
            for tp in parts:
                consumer.seek(tp, since[tp.partition])
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                batch = await consumer.getmany(timeout_ms=300)
                for msgs in batch.values():
                    found += [
                        json.loads(m.value) for m in msgs if m.value and needle.encode() in m.value
                    ]
                if found and not batch:
                    break
            return found
        finally:
            await consumer.stop()

    return asyncio.run(run())


def group_lag(settings: Settings, group: str) -> int:
    """Messages of the worker's topics the consumer group has not committed yet."""
    from aiokafka.admin import AIOKafkaAdminClient

    async def run() -> int:
        admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
        consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap)
        await admin.start()
        await consumer.start()
        try:
            committed = await admin.list_consumer_group_offsets(group)
            parts = [
                TopicPartition(t, p)
                for t in (settings.topics.events, settings.topics.records)
                for p in range(settings.kafka_partitions)
            ]
            ends = await consumer.end_offsets(parts)
            done = {tp: meta.offset for tp, meta in committed.items()}
            return sum(max(end - max(done.get(tp, 0), 0), 0) for tp, end in ends.items())
        finally:
            await consumer.stop()
            await admin.close()

    return asyncio.run(run())


def wait_caught_up(settings: Settings, group: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    lag = -1
    while time.monotonic() < deadline:
        lag = group_lag(settings, group)
        if lag == 0:
            return
        time.sleep(0.5)
    raise AssertionError(f"consumer group {group} still {lag} messages behind")


GRAPH_SHAPE = """
CALL () { MATCH (c:Customer) WHERE c.merged_into IS NULL RETURN count(c) AS customers }
CALL () { MATCH (c:Customer) WHERE c.merged_into IS NOT NULL RETURN count(c) AS redirects }
CALL () { MATCH (n:Record) RETURN count(n) AS records }
CALL () { MATCH (n:Event) RETURN count(n) AS events }
CALL () { MATCH (n:Identifier) RETURN count(n) AS identifiers }
CALL () { MATCH (n:Device) RETURN count(n) AS devices }
CALL () { MATCH (n:Group) RETURN count(n) AS groups }
CALL () { MATCH ()-[r]->() RETURN count(r) AS relationships }
CALL () {
  MATCH (c:Customer)<-[:BELONGS_TO]-(:Record)
  WHERE c.merged_into IS NULL
  WITH c, count(*) AS n
  RETURN sum(n * n) AS cluster_signature
}
RETURN customers, redirects, records, events, identifiers, devices, groups, relationships,
       cluster_signature
"""


def graph_shape(settings: Settings) -> dict[str, Any]:
    return query(settings, GRAPH_SHAPE)[0]


def start_group_at(settings: Settings, group: str, offsets: dict[str, dict[int, int]]) -> None:
    """Commit ``offsets`` (topic -> partition -> offset) for a new consumer group, so a worker
    of that group replays the topics from there (a replay of part of a topic)."""

    async def run() -> None:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=settings.kafka_bootstrap, group_id=group, enable_auto_commit=False
        )
        await consumer.start()
        try:
            parts = {TopicPartition(t, p): o for t, ps in offsets.items() for p, o in ps.items()}
            consumer.assign(list(parts))
            await consumer.commit(parts)
        finally:
            await consumer.stop()

    asyncio.run(run())


EVENTS_OF_TAG = """
MATCH (e:Event) WHERE e.event_id STARTS WITH $prefix
RETURN e.event_id AS id, COUNT { (e)<-[:PERFORMED]-(:Customer) } AS owners
"""

CUSTOMERS_OF_TAG = """
MATCH (i:Identifier) WHERE i.value STARTS WITH $tag
MATCH (i)<-[:HAS_IDENTIFIER]-(:Record)-[:BELONGS_TO]->(c:Customer)
WITH c, count(DISTINCT i) AS identifiers
RETURN c.merged_into IS NULL AS active, identifiers,
       COUNT { (c)-[:PERFORMED]->(:Event) } AS events
"""

IDENTIFIERS_OF_TAG = """
MATCH (i:Identifier) WHERE i.value STARTS WITH $tag
RETURN i.type AS type, count(*) AS n
"""


@dataclass(frozen=True)
class Ledger:
    """What became of the events a run sent: each id once in the graph, with one customer."""

    missing: int  # sent, not in the graph (or in it without a customer)
    doubled: int  # an id on two Event nodes, or one Event performed by two customers

    @classmethod
    def of(cls, settings: Settings, prefix: str, sent: set[str]) -> Ledger:
        rows = query(settings, EVENTS_OF_TAG, prefix=prefix)
        ids = Counter(r["id"] for r in rows)
        owned = {r["id"] for r in rows if r["owners"] > 0}
        doubled = sum(n - 1 for n in ids.values()) + sum(
            r["owners"] - 1 for r in rows if r["owners"] > 1
        )
        return cls(missing=len(sent - owned), doubled=doubled)


def tag_shape(settings: Settings, tag: str) -> dict[str, Any]:
    """The shape of the graph a tagged run built, without its ids: how many customers, how
    many identifiers each holds and how many events each performed (as multisets), how many
    identifiers of each type, and whether any record stayed with a merged-away customer."""
    customers = query(settings, CUSTOMERS_OF_TAG, tag=tag)
    active = [c for c in customers if c["active"]]
    identifiers = query(settings, IDENTIFIERS_OF_TAG, tag=tag)
    return {
        "customers": len(active),
        "cluster_sizes": sorted(Counter(c["identifiers"] for c in active).items()),
        "events_per_customer": sorted(Counter(c["events"] for c in active).items()),
        "identifiers": {r["type"]: r["n"] for r in identifiers},
        "records_on_merged_customers": len(customers) - len(active),
        "events": len(query(settings, EVENTS_OF_TAG, prefix=f"{tag}-")),
    }
