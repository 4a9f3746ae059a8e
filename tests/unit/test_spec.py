from __future__ import annotations

import json
from typing import Any

import pytest

from graph.model import Identifier, InvalidIdentifier, normalise
from ingest.spec import MAX_EVENT_BYTES, InvalidEvent, observation, validate

NOW = "2026-11-27T00:00:00.000Z"


def _envelope(call: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = validate("identify", call, "web", NOW).body
    return body


@pytest.mark.parametrize(
    ("call", "field"),
    [
        ([1, 2], "body"),
        ({"traits": {"email": "a@b.co"}}, "userId"),
        ({"userId": {"nested": 1}}, "userId"),
        ({"userId": True}, "userId"),
        ({"userId": "x" * 257}, "userId"),
        ({"userId": "u1", "traits": "not an object"}, "traits"),
        ({"userId": "u1", "context": [1]}, "context"),
        ({"userId": "u1", "timestamp": "yesterday"}, "timestamp"),
        ({"userId": "u1", "timestamp": 1700000000}, "timestamp"),
        ({"userId": "u1", "messageId": ""}, "messageId"),
        ({"userId": "u1", "messageId": 42}, "messageId"),
        ({"userId": "u1", "type": "track"}, "type"),
        ({"userId": "u1", "traits": {"blob": "x" * MAX_EVENT_BYTES}}, "body"),
    ],
)
def test_invalid_calls_name_the_field(call: object, field: str) -> None:
    with pytest.raises(InvalidEvent) as err:
        validate("identify", call, "web", NOW)
    assert err.value.field == field


def test_valid_call_is_wrapped_keeping_unknown_fields() -> None:
    env = validate(
        "identify",
        {
            "userId": 42,
            "traits": {"email": "A@B.co"},
            "writeKey": "k",
            "custom": {"x": 1},
            "timestamp": "2026-01-02T03:04:05+02:00",
        },
        "web",
        NOW,
    )
    assert env.key == "42"
    assert env.body["userId"] == "42"
    assert env.body["custom"] == {"x": 1}
    assert "writeKey" not in env.body
    assert env.body["timestamp"] == "2026-01-02T01:04:05.000Z"
    assert env.body["messageId"].startswith("graphcdp-")
    assert env.body["_graphcdp"] == {"source": "web", "receivedAt": NOW}
    assert json.loads(env.value()) == env.body


def test_partition_key_prefers_user_id() -> None:
    assert validate("identify", {"anonymousId": "a1"}, "web", NOW).key == "a1"
    assert validate("identify", {"anonymousId": "a1", "userId": "u1"}, "web", NOW).key == "u1"


def test_observation_extracts_identifiers_golden_attributes_and_device() -> None:
    obs = observation(
        _envelope(
            {
                "userId": "u1",
                "anonymousId": "anon-1",
                "messageId": "m-1",
                "traits": {
                    "email": " Ada@Example.COM ",
                    "phone": "+44 (20) 7946-0018",
                    "firstName": "Ada",
                    "lastName": "Lovelace",
                    "plan": "pro",
                },
                "context": {"device": {"id": "dev-9", "type": "ios"}, "os": {"name": "iOS"}},
            }
        )
    )
    assert obs.record_id == "m-1"
    assert obs.source == "web"
    assert {i.key for i in obs.identifiers} == {
        "user_id:u1",
        "anonymous_id:anon-1",
        "email:ada@example.com",
        "phone:+442079460018",
    }
    assert (obs.golden["first_name"], obs.golden["last_name"]) == ("Ada", "Lovelace")
    assert obs.golden["email"] == "ada@example.com"
    assert [(d.device_id, d.kind, d.os) for d in obs.devices] == [("dev-9", "ios", "iOS")]
    assert json.loads(obs.attributes_json)["traits"]["plan"] == "pro"


def test_observation_skips_identifiers_that_do_not_normalise() -> None:
    obs = observation(_envelope({"anonymousId": "a", "traits": {"email": "not-an-email"}}))
    assert [i.key for i in obs.identifiers] == ["anonymous_id:a"]
    assert [(d.device_id, d.kind) for d in obs.devices] == [("a", "unknown")]


def test_observation_rejects_other_calls_and_missing_envelopes() -> None:
    with pytest.raises(InvalidEvent, match="unsupported call type"):
        observation({"type": "track", "messageId": "m"})
    with pytest.raises(InvalidEvent, match="envelope"):
        observation({"type": "identify", "messageId": "m", "userId": "u"})


@pytest.mark.parametrize(
    ("type_", "raw", "expected"),
    [
        ("email", "  Ada@Example.COM ", "ada@example.com"),
        ("phone", "+1 (415) 555-0100", "+14155550100"),
        ("phone", "020 7946 0018", "02079460018"),
        ("user_id", "  u-1 ", "u-1"),
        ("anonymous_id", "ABC", "ABC"),
    ],
)
def test_normalise(type_: Any, raw: str, expected: str) -> None:
    assert normalise(type_, raw) == expected
    assert Identifier.of(type_, raw).key == f"{type_}:{expected}"


@pytest.mark.parametrize(
    ("type_", "raw"),
    [
        ("email", "no-at-sign"),
        ("email", "a@nodot"),
        ("phone", "12"),
        ("phone", "call me"),
        ("user_id", "   "),
        ("user_id", "x" * 300),
    ],
)
def test_normalise_rejects(type_: Any, raw: str) -> None:
    with pytest.raises(InvalidIdentifier):
        normalise(type_, raw)
