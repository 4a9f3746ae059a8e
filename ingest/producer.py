"""Producing to Kafka: a call is acknowledged only once the broker has it (acks=all)."""

from __future__ import annotations

from collections.abc import Sequence

from aiokafka import AIOKafkaProducer

from graphcdp.settings import Settings
from ingest.spec import Envelope


class EventProducer:
    """Sends validated envelopes to ``cdp.events`` and waits for the broker's acknowledgement."""

    def __init__(self, settings: Settings) -> None:
        self._topic = settings.topics.events
        self._producer = AIOKafkaProducer(
            bootstrap_servers=settings.kafka_bootstrap,
            acks="all",
            enable_idempotence=True,
            linger_ms=2,
            request_timeout_ms=15000,
        )

    async def start(self) -> None:
        await self._producer.start()

    async def stop(self) -> None:
        await self._producer.stop()

    async def send(self, envelopes: Sequence[Envelope]) -> None:
        """Send every envelope, then wait for all acknowledgements (one round trip per batch)."""
        futures = [
            await self._producer.send(self._topic, env.value(), key=env.key.encode())
            for env in envelopes
        ]
        for future in futures:
            await future
