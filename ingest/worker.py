"""The ingest worker: ``cdp.events`` -> validate -> resolve -> Neo4j -> commit offsets.

At-least-once: offsets are committed per partition only after the Neo4j transaction of the
batch has committed, and writes are idempotent by ``messageId`` (a replayed record is
skipped), so a crash between the two costs a replay, never a loss or a double. A message that
cannot be applied goes to ``cdp.dlq`` with its cause, source topic, partition and offset.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord

from graph.driver import open_driver
from graph.model import Observation
from graph.repository import IdentityRepository, WriteResult, now_iso
from graphcdp.settings import Settings
from ingest.spec import InvalidEvent, observation
from matching.deterministic import plan

log = logging.getLogger(__name__)


@dataclass
class Parsed:
    observations: list[Observation] = field(default_factory=list)
    dead: list[tuple[ConsumerRecord[bytes, bytes], str]] = field(default_factory=list)


def parse_batch(messages: list[ConsumerRecord[bytes, bytes]]) -> Parsed:
    """Split a batch into observations and dead letters (with their causes)."""
    parsed = Parsed()
    for message in messages:
        try:
            body: Any = json.loads(message.value or b"")
            if not isinstance(body, dict):
                raise InvalidEvent("body", "expected a JSON object")
            parsed.observations.append(observation(body))
        except (InvalidEvent, json.JSONDecodeError, UnicodeDecodeError) as err:
            parsed.dead.append((message, str(err)))
    return parsed


def dead_letter(message: ConsumerRecord[bytes, bytes], error: str) -> bytes:
    return json.dumps(
        {
            "error": error,
            "topic": message.topic,
            "partition": message.partition,
            "offset": message.offset,
            "key": (message.key or b"").decode(errors="replace"),
            "value": (message.value or b"").decode(errors="replace"),
            "failed_at": now_iso(),
        },
        separators=(",", ":"),
    ).encode()


async def run_worker(settings: Settings, stop: asyncio.Event | None = None) -> None:
    """Consume until ``stop`` is set (or SIGTERM/SIGINT), one Neo4j transaction per batch."""
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    driver = await open_driver(settings)
    repo = IdentityRepository(driver, settings.neo4j_database)
    consumer = AIOKafkaConsumer(
        settings.topics.events,
        bootstrap_servers=settings.kafka_bootstrap,
        group_id=settings.worker_group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_records=settings.worker_batch,
    )
    dlq = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks="all")
    await consumer.start()
    await dlq.start()
    log.info("worker consuming %s as group %s", settings.topics.events, settings.worker_group)
    try:
        while not stop.is_set():
            batches = await consumer.getmany(timeout_ms=200, max_records=settings.worker_batch)
            if not batches:
                continue
            messages = [m for msgs in batches.values() for m in msgs]
            parsed = parse_batch(messages)
            result: WriteResult | None = None
            if parsed.observations:
                result = await repo.apply(parsed.observations, plan)
            for message, error in parsed.dead:
                await dlq.send_and_wait(
                    settings.topics.dlq, dead_letter(message, error), key=message.key
                )
            await consumer.commit({tp: msgs[-1].offset + 1 for tp, msgs in batches.items()})
            log.info(
                "batch applied: %d messages, %d written, %d replayed, %d merges, %d dead",
                len(messages),
                len(result.written) if result else 0,
                len(result.skipped) if result else 0,
                len(result.merges) if result else 0,
                len(parsed.dead),
            )
    finally:
        await consumer.stop()
        await dlq.stop()
        await driver.close()
