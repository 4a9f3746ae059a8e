"""A fuzzed stream straight into Kafka: good messages and hostile ones, shuffled by a seed.

Hostile: bytes that are not JSON or not UTF-8, JSON that is not an object, calls without a
type or with wrong-typed fields, messages over 32 KB, nesting 1,000 deep, lone surrogates,
numbers beyond any float or past Python's integer-digit limit, NaN, calls without the
ingest envelope, record rows without an id or an identifier. Good: calls and record rows
full of emoji, right-to-left marks, zero-width characters and NUL, some with a null Kafka
key. Every hostile message must land on ``cdp.dlq`` once, with a reason naming the problem
and its source topic, partition and offset; every good one must be applied exactly once,
its text stored as sent; and the worker must still be consuming afterwards.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
from aiokafka import AIOKafkaProducer

from graphcdp.settings import Settings
from ingest.spec import validate
from tests.e2e.calls import send
from tests.e2e.graph_check import end_offsets, query, read_since, wait_caught_up, wait_rows

log = logging.getLogger(__name__)
SEED = 20261127
NOW = "2026-11-27T00:00:00.000Z"
EDGES = ["\U0001f600", "\u202eevil\u202c", "a\u200bb", "x\x00y", "\u05e9\u05dc\u05d5\u05dd",
         "\ufeffbom", "e\u0301", "\U0001f468\u200d\U0001f469\u200d\U0001f467"]  # fmt: skip


@dataclass(frozen=True)
class Message:
    topic: str
    key: bytes | None
    value: bytes
    kind: str
    marker: str
    error: str | None = None  # the start of the dead letter's reason; None: a good message


def _good_event(tag: str, i: int, rng: random.Random, events: str) -> Message:
    edge = rng.choice(EDGES)
    user = f"{tag}-u{i % 15}{edge if i % 4 == 0 else ''}"
    kind = rng.choice(["identify", "track", "track", "page", "group"])
    call: dict[str, Any] = {"userId": user, "messageId": f"{tag}-g{i}"}
    if kind == "identify":
        call["traits"] = {"firstName": f"N{edge}", "email": f"{tag}-{i % 15}@example.com"}
    elif kind == "track":
        call |= {"event": f"Clicked {edge}", "properties": {"label": edge, "n": 10**18}}
    elif kind == "page":
        call |= {"name": f"Page {edge}", "context": {"page": {"url": f"https://x.test/?q={edge}"}}}
    else:
        call |= {"groupId": f"{tag}-grp", "traits": {"name": edge, "big": 10**30}}
    envelope = validate(kind, call, "fuzz", NOW)
    key = None if i % 7 == 0 else envelope.key.encode()  # null keys: any partition
    return Message(events, key, envelope.value(), f"good {kind}", f"{tag}-g{i}")


def _good_record(tag: str, i: int, rng: random.Random, records: str) -> Message:
    row = {"record_id": f"{tag}-r{i}", "source": "crm", "email": f"{tag}-r{i}@example.com",
           "first_name": f"R{rng.choice(EDGES)}", "crm_id": f"{tag}-crm{i}"}  # fmt: skip
    key = None if i % 5 == 0 else row["record_id"].encode()
    return Message(records, key, json.dumps(row).encode(), "good record", f"{tag}-r{i}")


def _call(marker: str, **fields: object) -> dict[str, object]:
    body = {"type": "track", "event": "Fuzz", "userId": marker, "messageId": marker,
            "_graphcdp": {"source": "fuzz", "receivedAt": NOW}}  # fmt: skip
    return {**body, **fields}


def _raw(marker: str, fragment: str) -> bytes:
    """A call whose ``properties.x`` is ``fragment`` as written (not valid as Python JSON)."""
    head = json.dumps(_call(marker))[:-1]
    return f'{head}, "properties": {{"x": {fragment}}}}}'.encode()


# kind -> (topic, value from a marker, the start of the expected reason)
BAD: dict[str, tuple[str, Callable[[str], bytes], str]] = {
    "invalid JSON": ("events", lambda m: f"{{not json {m}".encode(), "body: not valid JSON"),
    "not UTF-8": ("events", lambda m: b"\xff\xfe\xfa" + m.encode(), "body: not valid JSON"),
    "JSON list": ("events", lambda m: json.dumps([m]).encode(), "body: expected a JSON object"),
    "JSON string": ("events", lambda m: json.dumps(m).encode(), "body: expected a JSON object"),
    "missing type": ("events", lambda m: json.dumps({**_call(m), "type": None}).encode(),
                     "type: unsupported call type"),
    "userId object": ("events", lambda m: json.dumps(_call(m, userId={"id": m})).encode(),
                      "userId: expected a string or a number"),
    "numeric timestamp": ("events", lambda m: json.dumps(_call(m, timestamp=17e8)).encode(),
                          "timestamp: expected an ISO-8601 date-time string"),
    "event as a list": ("events", lambda m: json.dumps(_call(m, event=[m])).encode(),
                        "event: expected a string"),
    "context as a list": ("events", lambda m: json.dumps(_call(m, context=[m])).encode(),
                          "context: expected a JSON object"),
    "group without groupId": ("events", lambda m: json.dumps(_call(m, type="group")).encode(),
                              "groupId: group needs a groupId"),
    "no ingest envelope": ("events", lambda m: json.dumps(_call(m, _graphcdp=None)).encode(),
                           "_graphcdp: missing the ingest envelope"),
    "over 32 KB": ("events", lambda m: json.dumps(_call(m, properties={"x": "A" * 33_000}))
                   .encode(), "body: message of"),
    "nested 1,000 deep": ("events", lambda m: _raw(m, "[" * 1000 + "1" + "]" * 1000),
                          "body: nested deeper than 64 levels"),
    "nested 100 deep": ("events", lambda m: _raw(m, "[" * 100 + "1" + "]" * 100),
                        "properties: nested deeper than 64 levels"),
    "lone surrogate": ("events", lambda m: _raw(m, '"\\ud800 tail"'),
                       "properties.x: a lone surrogate"),
    "5,000-digit integer": ("events", lambda m: _raw(m, "9" * 5000),
                            "body: not valid JSON (Exceeds the limit"),
    "1e999": ("events", lambda m: _raw(m, "1e999"), "body: not valid JSON (1e999"),
    "NaN": ("events", lambda m: _raw(m, "NaN"), "body: not valid JSON (NaN is not JSON)"),
    "record without id": ("records", lambda m: json.dumps({"source": "crm", "email": m}).encode(),
                          "record_id: is required"),
    "record without identifier": ("records", lambda m: json.dumps(
        {"record_id": m, "source": "crm", "email": "not an email"}).encode(),
        "email: no usable identifier"),
    "record nested 1,000 deep": ("records", lambda m: (
        f'{{"record_id": "{m}", "x": ' + "[" * 1000 + "]" * 1000 + "}").encode(),
        "body: nested deeper than 64 levels"),
}  # fmt: skip


def _stream(tag: str, settings: Settings) -> list[Message]:
    rng = random.Random(SEED)
    topics = {"events": settings.topics.events, "records": settings.topics.records}
    stream = [_good_event(tag, i, rng, topics["events"]) for i in range(150)]
    stream += [_good_record(tag, i, rng, topics["records"]) for i in range(30)]
    n = 0
    for kind, (topic, make, error) in BAD.items():
        for _ in range(7):
            marker = f"{tag}-b{n}"
            key = None if n % 3 == 0 else marker.encode()
            stream.append(Message(topics[topic], key, make(marker), kind, marker, error))
            n += 1
    rng.shuffle(stream)
    return stream


async def _produce(settings: Settings, stream: list[Message]) -> list[tuple[int, int]]:
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap, acks="all", max_request_size=4 * 1024 * 1024
    )
    await producer.start()
    try:
        sent = [await producer.send(m.topic, m.value, key=m.key) for m in stream]
        return [(meta.partition, meta.offset) for meta in [await s for s in sent]]
    finally:
        await producer.stop()


def test_a_fuzzed_stream_dead_letters_every_bad_message_and_applies_every_good_one_once(
    service: str, settings: Settings
) -> None:
    tag = f"fz-{uuid.uuid4().hex[:10]}"
    stream = _stream(tag, settings)
    since = end_offsets(settings, settings.topics.dlq)
    started = time.monotonic()
    placed = asyncio.run(_produce(settings, stream))
    produced = time.monotonic()
    wait_caught_up(settings, settings.worker_group)
    drained = time.monotonic()

    # Every bad message: once on the DLQ, its reason, topic, partition and offset.
    bad = {m.marker: (m, where) for m, where in zip(stream, placed, strict=True) if m.error}
    dead = read_since(settings, settings.topics.dlq, since, tag)
    # Other people's workers (other consumer groups) read the same topics on the shared stack.
    dead = [d for d in dead if d["stage"] == "worker" and d.get("group") == settings.worker_group]
    letters: dict[str, list[dict[str, Any]]] = {marker: [] for marker in bad}
    for letter in dead:
        for marker in bad:
            if f'{marker}"' in letter["value"] or letter["value"].endswith(marker):
                letters[marker].append(letter)
    for marker, (message, (partition, offset)) in bad.items():
        found = letters[marker]
        assert len(found) == 1, (message.kind, marker, found)
        letter = found[0]
        assert letter["error"].startswith(str(message.error)), (message.kind, letter["error"])
        assert (letter["topic"], letter["partition"], letter["offset"]) == (
            message.topic, partition, offset
        ), message.kind  # fmt: skip
    assert len(dead) == len(bad)

    # Every good message: applied exactly once, its text as sent.
    good_events = {m.marker: json.loads(m.value) for m in stream if m.kind.startswith("good ")
                   and m.topic == settings.topics.events}  # fmt: skip
    rows = query(
        settings,
        "MATCH (e:Event) WHERE e.event_id STARTS WITH $prefix "
        "OPTIONAL MATCH (c:Customer)-[p:PERFORMED]->(e) "
        "RETURN e.event_id AS id, e.name AS name, count(p) AS performers",
        prefix=f"{tag}-g",
    )
    assert sorted(r["id"] for r in rows) == sorted(good_events)
    assert all(r["performers"] == 1 for r in rows), [r for r in rows if r["performers"] != 1]
    for row in rows:
        call = good_events[row["id"]]
        expected = call.get("event") or call.get("name") or call.get("groupId")
        assert row["name"] == expected, (row, call)
    good_records = [m.marker for m in stream if m.kind == "good record"]
    records = query(
        settings,
        "MATCH (r:Record) WHERE r.record_id STARTS WITH $prefix "
        "MATCH (r)-[b:BELONGS_TO]->(:Customer) RETURN r.record_id AS id, count(b) AS owners",
        prefix=f"{tag}-r",
    )
    assert sorted(r["id"] for r in records) == sorted(good_records)
    assert all(r["owners"] == 1 for r in records)
    sent_users = sorted({call["userId"] for call in good_events.values()})
    stored = query(
        settings,
        "MATCH (i:Identifier {type: 'user_id'}) WHERE i.value IN $values RETURN i.value AS value",
        values=sent_users,
    )
    assert sorted(r["value"] for r in stored) == sent_users  # NUL, RTL, emoji ... as sent
    assert any("\x00" in u for u in sent_users)
    assert any("\u202e" in u for u in sent_users)

    # The worker still consumes: a call after the storm is applied.
    send(service, settings, "track", {"userId": f"{tag}-after", "event": "After the storm",
                                      "messageId": f"{tag}-after"})  # fmt: skip
    wait_rows(settings, "MATCH (e:Event {event_id: $id}) RETURN e", 1, id=f"{tag}-after")
    assert httpx.get(f"{service}/healthz", timeout=5).status_code == 200

    kinds = Counter(m.kind if m.error else "good" for m in stream)
    log.info(
        "fuzz stream: %d messages (%d good events, %d good records, %d bad in %d kinds: %s); "
        "dead letters %d; events applied %d; records applied %d; produced in %.1f s, "
        "drained %.1f s after the last",
        len(stream), len(good_events), len(good_records), len(bad), len(BAD),
        dict(kinds), len(dead), len(rows), len(records), produced - started, drained - produced,
    )  # fmt: skip
