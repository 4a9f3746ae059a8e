"""Reading the real graph and topics from e2e tests (a helper module, not a test)."""

from __future__ import annotations

import asyncio
import json
import time
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
