"""Hostile bodies and messages: each a 400 or a dead letter naming its field, never a crash.

Each case below once crashed the worker (an exception it did not catch stops the process)
or answered 500: ``RecursionError`` for deep nesting, ``ValueError`` for a 5,000-digit
integer, ``UnicodeEncodeError`` at Kafka or Neo4j for a lone surrogate, ``AttributeError``
for a numeric ``timestamp`` and ``KeyError`` for a group call without ``groupId`` produced
straight to Kafka.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from aiokafka import ConsumerRecord
from starlette.applications import Starlette

from ingest.http import tracking_routes
from ingest.payload import MAX_DEPTH, parse_json
from ingest.spec import Envelope, InvalidEvent, validate
from ingest.worker import parse_batch

ENV = {"source": "web", "receivedAt": "2026-11-27T00:00:00.000Z"}
DEEP = "[" * 1000 + "]" * 1000
NESTED = "{" + '"a":{' * (MAX_DEPTH + 2) + '"b":1' + "}" * (MAX_DEPTH + 3)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (DEEP, f"body: nested deeper than {MAX_DEPTH} levels"),
        ('{"properties": ' + NESTED + "}", f"properties: nested deeper than {MAX_DEPTH} levels"),
        ('{"n": ' + "9" * 5000 + "}", "body: not valid JSON (Exceeds the limit (4300 digits)"),
        ('{"n": NaN}', "body: not valid JSON (NaN is not JSON)"),
        ('{"n": -Infinity}', "body: not valid JSON (-Infinity is not JSON)"),
        ('{"n": 1e999}', "body: not valid JSON (1e999 is out of a number's range)"),
        ('{"userId": "a\\ud800"}', "userId: a lone surrogate"),
        ('{"traits": {"k\\udc00": 1}}', "traits.k?: a lone surrogate"),
        ('{"items": ["ok", "\\udfff"]}', "items[1]: a lone surrogate"),
        (b"\xff\xfe{", "body: not valid JSON ("),
        ("{broken", "body: not valid JSON (Expecting property name"),
    ],
)
def test_parse_json_refuses_what_cannot_be_stored_naming_where(
    raw: str | bytes, message: str
) -> None:
    with pytest.raises(InvalidEvent) as caught:
        parse_json(raw)
    assert str(caught.value).startswith(message)


def test_parse_json_keeps_valid_unicode_and_depth_at_the_limit() -> None:
    text = "\U0001f600 \u200b\u202e\u05e9\u05dc\u05d5\u05dd \x00 \ufeff"
    assert parse_json(json.dumps({"s": text})) == {"s": text}
    assert parse_json('"\\ud83d\\ude00"') == "\U0001f600"  # an escaped pair is one emoji
    at_limit = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    assert parse_json(at_limit) is not None
    assert parse_json('{"n": 1e308, "m": 1e-999}') == {"n": 1e308, "m": 0.0}


def test_an_infinite_float_from_a_file_import_is_refused_by_the_spec() -> None:
    with pytest.raises(InvalidEvent) as caught:
        validate("track", {"userId": "u", "event": "E", "properties": {"x": float("inf")}},
                 "file", "2026-11-27T00:00:00.000Z")  # fmt: skip
    assert str(caught.value) == "body: NaN and Infinity are not JSON numbers"


def _message(value: bytes, offset: int) -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord("cdp.events", 2, offset, 0, 0, b"k", value, None, 1, len(value), [])


def _call(**fields: Any) -> bytes:
    body = {"type": "track", "event": "E", "userId": "u", "messageId": "m", "_graphcdp": ENV}
    return json.dumps({**body, **fields}).encode()


@pytest.mark.parametrize(
    ("value", "error"),
    [
        (DEEP.encode(), f"body: nested deeper than {MAX_DEPTH} levels"),
        (_call(timestamp=12345), "timestamp: expected an ISO-8601 date-time string"),
        (_call(sentAt=["x"]), "sentAt: expected an ISO-8601 date-time string"),
        (_call(userId={"a": 1}), "userId: expected a string or a number"),
        (_call(type="group"), "groupId: group needs a groupId"),
        (_call(event=["E"]), "event: expected a string"),
        (_call(context=[1]), "context: expected a JSON object"),
        (_call(messageId="m" * 200), "messageId: expected a string of 1-128 characters"),
        (_call(properties={"x": "a" * 40_000}), "body: message of 40"),
        (_call(userId="u\ud800"), "userId: a lone surrogate"),
        (b'{"type": "track", "n": ' + b"1" * 5000 + b"}", "body: not valid JSON"),
        (b"[1, 2]", "body: expected a JSON object"),
        (b"", "body: not valid JSON"),
    ],
)
def test_the_worker_dead_letters_a_hostile_message_with_its_field(value: bytes, error: str) -> None:
    parsed = parse_batch([_message(value, 41), _message(_call(messageId="ok"), 42)], "cdp.records")
    assert [(m.offset, e[: len(error)]) for m, e in parsed.dead] == [(41, error)]
    assert [o.record_id for o in parsed.observations] == ["ok"]  # the next one still applies


def test_group_traits_keep_only_what_a_graph_property_holds() -> None:
    value = _call(type="group", groupId="g", traits={"big": 10**30, "n": 5, "list": [1]})
    parsed = parse_batch([_message(value, 1)], "cdp.records")
    event = parsed.observations[0].event
    assert event is not None
    assert event.group_traits == {"n": 5}
    assert json.loads(event.properties_json)["big"] == 10**30  # kept in the event's JSON


class _Sender:
    def __init__(self) -> None:
        self.sent: list[Envelope] = []

    async def send(self, envelopes: list[Envelope]) -> None:
        self.sent += envelopes

    async def dead_letter(self, records: list[dict[str, Any]]) -> None:
        pass


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (DEEP.encode(), "body"),
        (b'{"userId": "u", "event": "E", "n": ' + b"7" * 5000 + b"}", "body"),
        (b'{"userId": "u\\ud800", "event": "E"}', "userId"),
        (b'{"userId": "u", "event": "E", "properties": {"x": NaN}}', "body"),
        (b'{"userId": "u", "event": "E", "properties": {"x": 1e999}}', "body"),
        (('{"userId": "u", "event": "E", "properties": ' + NESTED + "}").encode(), "properties"),
    ],
)
async def test_the_tracking_api_answers_400_naming_the_field(body: bytes, field: str) -> None:
    sender = _Sender()
    app = Starlette(routes=tracking_routes({"key": "web"}, lambda _: sender))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        for path in ("/v1/track", "/v1/batch"):
            reply = await client.post(path, content=body, auth=("key", ""))
            assert reply.status_code == 400, reply.text
            assert reply.json()["field"] == field
    assert sender.sent == []


async def test_a_write_key_in_the_body_must_be_a_string() -> None:
    sender = _Sender()
    app = Starlette(routes=tracking_routes({"key": "web"}, lambda _: sender))
    transport = httpx.ASGITransport(app=app)
    call = {"userId": "u", "event": "E"}
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        for path, body in (("/v1/track", {**call, "writeKey": 5}),
                           ("/v1/batch", {"batch": [call], "writeKey": ["key"]})):  # fmt: skip
            reply = await client.post(path, json=body, auth=("key", ""))
            assert (reply.status_code, reply.json()["field"]) == (400, "writeKey")
        reply = await client.post("/v1/track", json={**call, "writeKey": None}, auth=("key", ""))
        assert reply.status_code == 200  # null is absent, as everywhere in a call
    assert len(sender.sent) == 1


def test_a_dead_letter_says_what_where_and_which_group() -> None:
    from ingest.worker import dead_letter

    letter = json.loads(dead_letter(_message(b"\xff{", 77), "body: not valid JSON", "g-1"))
    assert {k: letter[k] for k in ("error", "stage", "group", "topic", "partition", "offset")} == {
        "error": "body: not valid JSON", "stage": "worker", "group": "g-1",
        "topic": "cdp.events", "partition": 2, "offset": 77,
    }  # fmt: skip
    assert letter["value"] == "\ufffd{"  # the bytes as text, undecodable ones replaced
