from __future__ import annotations

import json
from typing import Any

import pytest

from graph.model import Identifier, InvalidIdentifier, normalise
from ingest.spec import MAX_EVENT_BYTES, InvalidEvent, observation, validate, validate_batch
from matching.normalise import NormaliseOptions

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
        ({"userId": "u1", "sentAt": "soon"}, "sentAt"),
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


def test_observation_rejects_unknown_calls_and_missing_envelopes() -> None:
    with pytest.raises(InvalidEvent, match="unsupported call type"):
        observation({"type": "shout", "messageId": "m"})
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


@pytest.mark.parametrize(
    ("kind", "call", "field"),
    [
        ("track", {"userId": "u"}, "event"),
        ("track", {"userId": "u", "event": ""}, "event"),
        ("track", {"userId": "u", "event": 7}, "event"),
        ("track", {"userId": "u", "event": "x" * 300}, "event"),
        ("track", {"userId": "u", "event": "E", "properties": [1]}, "properties"),
        ("page", {"userId": "u", "name": {"x": 1}}, "name"),
        ("screen", {"anonymousId": "a", "name": 3}, "name"),
        ("group", {"userId": "u"}, "groupId"),
        ("group", {"userId": "u", "groupId": {"id": 1}}, "groupId"),
        ("alias", {"previousId": "a"}, "userId"),
        ("alias", {"userId": "u"}, "previousId"),
        ("track", {"event": "E"}, "userId"),
    ],
)
def test_each_call_type_names_its_missing_or_bad_field(
    kind: str, call: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidEvent) as err:
        validate(kind, call, "web", NOW)
    assert err.value.field == field


@pytest.mark.parametrize(
    ("kind", "call", "name", "ids", "record"),
    [
        (
            "track",
            {"userId": "u", "event": "Order Completed", "properties": {"revenue": 9.5}},
            "Order Completed",
            {"user_id:u"},
            False,
        ),
        ("page", {"anonymousId": "a", "name": "Home"}, "Home", {"anonymous_id:a"}, False),
        ("screen", {"anonymousId": "a"}, None, {"anonymous_id:a"}, False),
        (
            "group",
            {"userId": "u", "groupId": "g1", "traits": {"name": "Acme", "seats": 5}},
            "g1",
            {"user_id:u"},
            False,
        ),
        (
            "alias",
            {"userId": "u", "previousId": "anon-9"},
            None,
            {"user_id:u", "anonymous_id:anon-9"},
            True,
        ),
        (
            "identify",
            {"userId": "u", "traits": {"email": "a@b.co"}},
            None,
            {"user_id:u", "email:a@b.co"},
            True,
        ),
    ],
)
def test_every_call_type_becomes_an_observation_with_an_event(
    kind: str, call: dict[str, Any], name: str | None, ids: set[str], record: bool
) -> None:
    obs = observation(validate(kind, call, "web", NOW).body)
    assert obs.event is not None
    assert obs.event.type == kind
    assert obs.event.name == name
    assert {i.key for i in obs.identifiers} == ids
    assert obs.always_record is record
    if kind == "group":
        assert (obs.event.group_id, obs.event.group_traits) == ("g1", {"name": "Acme", "seats": 5})
    if kind == "track":
        assert json.loads(obs.event.properties_json) == {"revenue": 9.5}
    if kind != "identify":
        assert obs.golden == {}  # only identify traits feed the profile


def test_a_batch_accepts_the_good_calls_and_returns_the_bad_ones_with_their_path() -> None:
    result = validate_batch(
        {
            "batch": [
                {"type": "track", "userId": "u", "event": "A"},
                {"type": "track", "userId": "u"},
                "not a call",
                {"type": "explode", "userId": "u"},
                {"type": "identify", "anonymousId": "a", "context": {"ip": "1.2.3.4"}},
            ],
            "context": {"library": {"name": "test"}, "ip": "9.9.9.9"},
        },
        "web",
        NOW,
    )
    assert [e.body["type"] for e in result.accepted] == ["track", "identify"]
    assert [(i, e.field) for i, e, _ in result.rejected] == [
        (1, "batch[1].event"),
        (2, "batch[2].body"),
        (3, "batch[3].type"),
    ]
    # The batch's context applies to every call; a call's own keys win.
    assert result.accepted[0].body["context"] == {"library": {"name": "test"}, "ip": "9.9.9.9"}
    assert result.accepted[1].body["context"]["ip"] == "1.2.3.4"


@pytest.mark.parametrize(
    ("payload", "field"),
    [([], "body"), ({"batch": {}}, "batch"), ({"batch": []}, "batch"), ({}, "batch")],
)
def test_a_body_that_is_not_a_batch_is_rejected(payload: object, field: str) -> None:
    with pytest.raises(InvalidEvent) as err:
        validate_batch(payload, "web", NOW)
    assert err.value.field == field


def test_identify_reads_traits_from_context_traits_too() -> None:
    obs = observation(
        _envelope(
            {
                "userId": "u",
                "traits": {"firstName": "Top"},
                "context": {"traits": {"email": "ctx@x.co", "firstName": "Ctx"}},
            }
        )
    )
    assert "email:ctx@x.co" in {i.key for i in obs.identifiers}
    assert obs.golden["first_name"] == "Top"


def test_enrichment_user_agent_utm_and_clock_skew() -> None:
    env = _envelope(
        {
            "anonymousId": "a-1",
            "type": "identify",
            "traits": {"phone": "020 7946 0958"},
            "timestamp": "2026-11-27T10:00:00.000Z",  # the client's clock ...
            "sentAt": "2026-11-27T10:00:05.000Z",  # ... runs 1 h ahead of receipt (NOW + 0)
            "context": {
                "userAgent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) "
                "AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
                "page": {"url": "https://shop.example.com/?utm_source=news&utm_medium=email"},
                "campaign": {"name": "winter"},
            },
        }
    )
    env["_graphcdp"]["receivedAt"] = "2026-11-27T09:00:05.000Z"
    obs = observation(env, NormaliseOptions(default_region="GB"))
    assert obs.timestamp == "2026-11-27T09:00:00.000Z"
    assert [(d.kind, d.os, d.browser) for d in obs.devices] == [("mobile", "iOS", "Mobile Safari")]
    assert obs.event is not None
    assert obs.event.utm == {"utm_campaign": "winter", "utm_source": "news", "utm_medium": "email"}
    assert "phone:+442079460958" in {i.key for i in obs.identifiers}
    assert obs.golden["phone"] == "+442079460958"
