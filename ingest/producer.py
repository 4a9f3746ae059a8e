"""Producing to Kafka: a call is acknowledged only once the broker has it (acks=all)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import KafkaTimeoutError

from graphcdp.settings import Settings
from ingest.spec import Envelope


class EventProducer:
    """Sends validated envelopes to ``cdp.events`` (and rejects to ``cdp.dlq``), acks=all."""

    def __init__(self, settings: Settings, deadline: float = 10.0) -> None:
        self._topics = settings.topics
        self._deadline = deadline
        self._producer = AIOKafkaProducer(
            bootstrap_servers=settings.kafka_bootstrap,
            acks="all",
            enable_idempotence=True,
            linger_ms=2,
            request_timeout_ms=15000,
            max_request_size=4 * 1024 * 1024,
        )

    async def start(self) -> None:
        await self._producer.start()

    async def stop(self) -> None:
        await self._producer.stop()

    async def ready(self) -> None:
        """Raises unless the brokers answer a metadata request."""
        await self._producer.client.fetch_all_metadata()

    async def send(self, envelopes: Sequence[Envelope], topic: str | None = None) -> None:
        """Send every envelope, then wait for all acknowledgements (one round trip per batch).

        Raises:
            KafkaTimeoutError: not all acknowledged within ``deadline`` seconds (a broker
                that is down: aiokafka would wait for it as long as it takes). The calls
                may still land later; the caller answers 503 and its client sends again
                (with the same messageIds, so the worker applies each once).
        """
        try:
            async with asyncio.timeout(self._deadline):
                futures = [
                    await self._producer.send(
                        topic or self._topics.events, env.value(), key=env.key.encode()
                    )
                    for env in envelopes
                ]
                for future in futures:
                    await future
        except TimeoutError:
            raise KafkaTimeoutError(
                f"Kafka did not acknowledge within {self._deadline:g} s"
            ) from None

    async def publish_changes(self, changes: Sequence[tuple[str, dict[str, Any]]]) -> None:
        """Publish change messages to ``cdp.changes``, keyed by customer id."""
        futures = [
            await self._producer.send(
                self._topics.changes,
                json.dumps(change, separators=(",", ":")).encode(),
                key=key.encode(),
            )
            for key, change in changes
        ]
        for future in futures:
            await future

    async def produce(self, topic: str, value: bytes, key: bytes) -> None:
        """One message to any topic (a Kafka destination's), acknowledged by all replicas."""
        await self._producer.send_and_wait(topic, value, key=key)

    async def dead_letter(self, records: Sequence[dict[str, Any]]) -> None:
        """Keep calls that could not be accepted on ``cdp.dlq``, each with its cause."""
        futures = [
            await self._producer.send(
                self._topics.dlq, json.dumps(r, separators=(",", ":"), default=str).encode()
            )
            for r in records
        ]
        for future in futures:
            await future


def changes_consumer(settings: Settings, group_id: str) -> AIOKafkaConsumer:
    """A consumer of ``cdp.changes`` for one of the groups that follow it (the caches', the
    search index's, the segments'): offsets committed by hand after the work, and a new group
    starts at the topic's end (what came before is in the graph already). Not yet started or
    subscribed."""
    return AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap,
        group_id=group_id,
        auto_offset_reset="latest",
        enable_auto_commit=False,
        fetch_max_wait_ms=settings.fetch_wait_ms,
    )
