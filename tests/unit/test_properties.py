"""Property tests (hypothesis) over the event models and the normalisers.

Runs are derandomised (the ``graphcdp`` profile in tests/conftest.py): CI tries the same
examples every time, so a failure is a bug to fix, never a roll of the dice; widen
``max_examples`` locally to explore further.
"""

from __future__ import annotations

import json
import re
import string
from collections.abc import Callable
from typing import Any, TypeVar

import phonenumbers
import pytest
from aiokafka import ConsumerRecord
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from graph.model import CALL_TYPES, IDENTIFIER_TYPES, FieldError, InvalidIdentifier
from ingest.enrich import (
    CAMPAIGN_KEYS,
    EnrichError,
    corrected_timestamp,
    parse_user_agent,
    utm_parameters,
)
from ingest.payload import parse_json
from ingest.records import record_observation
from ingest.spec import ENVELOPE_KEY, InvalidEvent, observation, validate
from ingest.worker import parse_batch
from matching.normalise import (
    EMAIL_PROVIDER_RULES,
    NormaliseError,
    NormaliseOptions,
    identifier,
    normalise_email,
    to_e164,
)

NOW = "2026-11-27T12:00:00.000Z"
T = TypeVar("T")
E164 = re.compile(r"^\+[1-9]\d{1,14}$")
ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")

# Text as hostile as Unicode allows (surrogates excluded: Python strings from JSON cannot
# hold them once parse_json has refused them), plus the characters that fool people.
tricky = st.sampled_from(["\x00", "\u200b", "\u200d", "\u202e", "\ufeff", "\U0001f600", " "])
text = st.text(st.characters(codec="utf-8") | tricky, max_size=80)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
    max_leaves=20,
)


def _attempt(action: Callable[[], T]) -> T | FieldError:
    """The result, or the field error raised (any other exception fails the test)."""
    try:
        return action()
    except FieldError as err:
        return err


# --- normalisers ---------------------------------------------------------------------------

_local = st.text(string.ascii_letters + string.digits + ".+-_", min_size=1, max_size=20)
_domains = st.sampled_from([*EMAIL_PROVIDER_RULES, "example.com", "x.fastmail.com", "b.co"])
emails = (
    st.builds(
        lambda pad, local, domain, upper: f"{pad}{local.upper() if upper else local}@{domain}{pad}",
        st.sampled_from(["", " ", "\t"]),
        _local,
        _domains,
        st.booleans(),
    )
    | st.emails()
)


@settings(max_examples=300)
@given(raw=emails | text, provider_rules=st.booleans())
def test_email_normalisation_is_idempotent_and_refuses_only_with_its_field(
    raw: str, provider_rules: bool
) -> None:
    once = _attempt(lambda: normalise_email(raw, provider_rules=provider_rules))
    if isinstance(once, NormaliseError):
        assert once.field == "email"
        return
    assert normalise_email(once, provider_rules=provider_rules) == once
    assert once == once.strip().lower()
    assert once.count("@") == 1


def _example(region: str, style: int, separator: str) -> str:
    number = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
    if number is None:
        return region
    formats = (
        phonenumbers.PhoneNumberFormat.E164,
        phonenumbers.PhoneNumberFormat.INTERNATIONAL,
        phonenumbers.PhoneNumberFormat.NATIONAL,
    )
    return phonenumbers.format_number(number, formats[style]).replace(" ", separator)


regions = st.sampled_from(sorted(phonenumbers.SUPPORTED_REGIONS))
phones = st.builds(
    _example, regions, st.integers(0, 2), st.sampled_from([" ", "-", ".", "", "\u00a0"])
)


@settings(max_examples=300)
@given(raw=phones | text | st.from_regex(r"\A[+0]?[\d ()-]{3,20}\Z"), region=regions)
def test_phone_normalisation_gives_e164_is_idempotent_and_refuses_only_with_its_field(
    raw: str, region: str
) -> None:
    once = _attempt(lambda: to_e164(raw, region))
    if isinstance(once, NormaliseError):
        assert once.field == "phone"
        return
    assert E164.match(once), once
    assert to_e164(once, region) == once
    assert to_e164(once, "US") == once  # E.164 reads the same whatever the default region


@settings(max_examples=200)
@given(type_=st.sampled_from(IDENTIFIER_TYPES), raw=text | emails | phones)
def test_identifiers_normalise_idempotently(type_: Any, raw: str) -> None:
    try:
        once = identifier(type_, raw)
    except InvalidIdentifier:
        return
    assert identifier(type_, once.value) == once
    assert once.key == f"{type_}:{once.value}"


@settings(max_examples=200)
@given(ua=text)
def test_any_user_agent_parses_to_a_known_device_kind(ua: str) -> None:
    assert parse_user_agent(ua).device_kind in ("desktop", "mobile", "tablet", "bot", "unknown")


@settings(max_examples=200)
@given(context=st.dictionaries(st.sampled_from(["page", "campaign", "x"]), json_values))
def test_utm_parameters_never_fail_and_are_idempotent(context: dict[str, Any]) -> None:
    found = utm_parameters(context)
    assert set(found) <= set(CAMPAIGN_KEYS.values())
    assert all(v and v == v.strip() for v in found.values())
    back = {key: found[utm] for key, utm in CAMPAIGN_KEYS.items() if utm in found}
    assert utm_parameters({"campaign": back}) == found


moments = st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat())


@settings(max_examples=200)
@given(timestamp=st.none() | moments | text, sent_at=st.none() | moments | text)
def test_corrected_timestamps_are_iso_utc_and_stable(
    timestamp: str | None, sent_at: str | None
) -> None:
    outcome = _attempt(lambda: corrected_timestamp(timestamp, sent_at, NOW))
    if isinstance(outcome, EnrichError):
        assert outcome.field in ("timestamp", "sentAt")
        return
    corrected, _ = outcome
    assert ISO_UTC.match(corrected), corrected
    assert corrected_timestamp(corrected, None, NOW)[0] == corrected


# --- event models --------------------------------------------------------------------------

ids = st.text(st.characters(codec="utf-8"), min_size=1, max_size=40).filter(str.strip) | (
    st.integers(-(10**15), 10**15)
)


@st.composite
def calls(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    """A valid Segment call of any type, with hostile but legal contents."""
    kind = draw(st.sampled_from(CALL_TYPES))
    call: dict[str, Any] = {"messageId": draw(st.uuids()).hex}
    if kind == "alias" or draw(st.booleans()):
        call["userId"] = draw(ids)
    if "userId" not in call or draw(st.booleans()):
        call["anonymousId"] = draw(ids)
    if kind == "alias":
        call["previousId"] = draw(ids)
    if kind == "track":
        call["event"] = draw(text.filter(str.strip).map(lambda t: t[:200]))
    if kind in ("page", "screen") and draw(st.booleans()):
        call["name"] = draw(text)
    if kind == "group":
        call["groupId"] = draw(ids)
    for name in ("traits", "properties", "context"):
        if draw(st.booleans()):
            call[name] = draw(st.dictionaries(text, json_values, max_size=5))
    if kind == "identify" and draw(st.booleans()):
        call.setdefault("traits", {})["email"] = draw(emails | text)
        call["traits"]["phone"] = draw(phones | text)
    if draw(st.booleans()):
        call["timestamp"] = draw(
            st.datetimes(min_value=_dt(2000), max_value=_dt(2100)).map(lambda d: d.isoformat())
        )
    return kind, call


def _dt(year: int) -> Any:
    from datetime import datetime

    return datetime(year, 1, 1)


@settings(max_examples=200)
@given(item=calls())
def test_what_the_api_accepts_survives_kafka_and_the_worker_applies(
    item: tuple[str, dict[str, Any]],
) -> None:
    kind, call = item
    envelope = validate(kind, call, "web", NOW)
    on_kafka = parse_json(envelope.value())  # the bytes the worker reads
    assert on_kafka == envelope.body
    assert isinstance(on_kafka, dict)
    again = validate(kind, {k: v for k, v in on_kafka.items() if k != ENVELOPE_KEY}, "web", NOW)
    assert again == envelope  # validating twice changes nothing
    seen = observation(on_kafka)
    assert seen.record_id == call["messageId"]
    assert seen.kind == kind
    assert ISO_UTC.match(seen.timestamp)


WRONG = {
    "userId": [{"a": 1}, [1], True, 1.5, "x" * 257],
    "anonymousId": [{"a": 1}, False, "x" * 257],
    "messageId": [7, "", "m" * 129, ["m"]],
    "timestamp": [1700000000, "yesterday", ["2026"], "2026-13-01"],
    "sentAt": [1.5, "soon", {}],
    "traits": ["s", [1], 3],
    "context": ["s", [1], 3],
    "properties": ["s", [1], 3],
}


@settings(max_examples=200)
@given(item=calls(), field=st.sampled_from(sorted(WRONG)), data=st.data())
def test_a_wrong_typed_field_is_refused_by_name_at_the_api_and_at_the_worker(
    item: tuple[str, dict[str, Any]], field: str, data: st.DataObject
) -> None:
    kind, call = item
    assume(not (kind == "alias" and field == "anonymousId" and "anonymousId" not in call))
    bad = {**call, field: data.draw(st.sampled_from(WRONG[field]))}
    with pytest.raises(InvalidEvent) as at_api:
        validate(kind, bad, "web", NOW)
    assert at_api.value.field == field
    message = {**bad, "type": kind, ENVELOPE_KEY: {"source": "web", "receivedAt": NOW}}
    if field == "messageId" and not (isinstance(bad[field], str) and bad[field]):
        return  # the worker needs a message id first: "messageId: missing"
    with pytest.raises(InvalidEvent) as at_worker:
        observation(message)
    assert at_worker.value.field == field


@settings(max_examples=300)
@given(value=json_values | st.dictionaries(st.sampled_from(["type", "userId", "_graphcdp"]),
                                           json_values))  # fmt: skip
def test_any_json_is_an_envelope_or_a_named_refusal(value: object) -> None:
    body = value if isinstance(value, dict) else {"type": value, "record_id": value}
    outcomes = [_attempt(lambda k=kind: validate(k, value, "web", NOW)) for kind in CALL_TYPES]
    outcomes.append(_attempt(lambda: observation(body)))
    outcomes.append(_attempt(lambda: record_observation(body)))
    for outcome in outcomes:
        if isinstance(outcome, InvalidEvent):
            assert outcome.field


@settings(max_examples=300)
@given(raw=st.binary(max_size=200) | json_values.map(lambda v: json.dumps(v).encode()))
def test_the_worker_turns_any_bytes_into_an_observation_or_a_dead_letter(raw: bytes) -> None:
    for topic in ("cdp.events", "cdp.records"):
        message = ConsumerRecord(topic, 0, 9, 0, 0, None, raw, None, 0, len(raw), [])
        parsed = parse_batch([message], "cdp.records")
        assert len(parsed.observations) + len(parsed.dead) == 1
        assert all(error and not error.startswith("unexpected") for _, error in parsed.dead)


@settings(max_examples=100)
@given(region=regions, options=st.booleans())
def test_identify_phones_reach_the_profile_in_e164(region: str, options: bool) -> None:
    raw = _example(region, 1, " ")
    assume(raw.startswith("+"))
    call = {"userId": "u", "traits": {"phone": raw}, "messageId": "m"}
    body = validate("identify", call, "web", NOW).body
    seen = observation(body, NormaliseOptions(region, options))
    assert E164.match(str(seen.golden["phone"]))
