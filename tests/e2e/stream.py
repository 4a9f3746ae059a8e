"""A seeded stream of tracking calls whose identity graph is known (a helper module, not a
test): people with one to three devices (anonymous ids), some who identify (user id and email
on a device: its anonymous customer merges into theirs), some known only by an email they
give on several devices (their devices merge through it), some never identified.

Every call of one person is keyed by that person, so it lands on one partition in the order
made: the graph a stream yields then depends on the calls alone, not on how a run's batches
and partitions interleave, and two runs of the same stream under different tags must give
graphs of the same shape.
"""

from __future__ import annotations

import asyncio
import json
import random
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaProducer

from graph.model import now_iso
from graphcdp.settings import Settings

CALLS_PER_PERSON = 20


@dataclass(frozen=True)
class Call:
    key: str
    body: dict[str, Any]

    @property
    def message_id(self) -> str:
        return str(self.body["messageId"])


def calls(tag: str, count: int, seed: int = 8) -> list[Call]:
    """``count`` calls of ``count // 20`` people, message ids ``<tag>-<n>``; the same
    ``seed`` and ``count`` give the same stream under any tag."""
    rng = random.Random(seed)
    people = max(count // CALLS_PER_PERSON, 1)
    out = []
    for n in range(count):
        person = rng.randrange(people)
        kind = person % 5  # 0-2 identify with a user id, 3 by email only, 4 never
        device = rng.randrange(1 + person % 3) if kind != 4 else 0
        anonymous = f"{tag}-a{person}-{device}"
        email = f"{tag}-p{person}@mail.example.net"
        roll = rng.random()
        body: dict[str, Any] = {"type": "track", "event": "Viewed", "anonymousId": anonymous,
                                "properties": {"n": n}}  # fmt: skip
        if kind <= 2 and roll < 0.1:
            body = {"type": "identify", "userId": f"{tag}-u{person}", "anonymousId": anonymous,
                    "traits": {"email": email}}  # fmt: skip
        elif kind <= 2 and roll < 0.5:
            body["userId"] = f"{tag}-u{person}"
        elif kind == 3 and roll < 0.15:
            body = {"type": "identify", "anonymousId": anonymous, "traits": {"email": email}}
        body["messageId"] = f"{tag}-{n}"
        out.append(Call(f"{tag}-p{person}", body))
    return out


def identifier_counts(stream: list[Call]) -> dict[str, int]:
    """The distinct identifiers of each type the stream names (the graph must hold these)."""
    seen: dict[str, set[str]] = {"user_id": set(), "anonymous_id": set(), "email": set()}
    for call in stream:
        seen["anonymous_id"].add(call.body["anonymousId"])
        if "userId" in call.body:
            seen["user_id"].add(call.body["userId"])
        if "traits" in call.body:
            seen["email"].add(call.body["traits"]["email"])
    return {kind: len(values) for kind, values in seen.items()}


async def produce(settings: Settings, stream: list[Call]) -> None:
    """Send the calls to ``cdp.events`` as the tracking API would (its envelope), acks=all:
    when this returns, every call is in Kafka."""
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap, acks="all", linger_ms=20
    )
    await producer.start()
    try:
        received = now_iso()
        sends = []
        for call in stream:
            body = {**call.body, "_graphcdp": {"source": "test", "receivedAt": received}}
            value = json.dumps(body).encode()
            sends.append(await producer.send(settings.topics.events, value, key=call.key.encode()))
        await asyncio.gather(*sends)
    finally:
        await producer.stop()
