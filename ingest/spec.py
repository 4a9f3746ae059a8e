"""The Segment spec, as far as GraphCDP reads it: validation and the Kafka envelope.

Both entrypoints share this module: the HTTP routes validate and wrap calls into envelopes
(what goes on ``cdp.events``); the worker turns an envelope into an
:class:`~graph.model.Observation`. Unknown extra fields are kept in the envelope.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from graph.model import (
    CALL_TYPES,
    CallType,
    ConsentChange,
    Device,
    EventData,
    FieldError,
    Identifier,
    IdentifierType,
    InvalidIdentifier,
    Observation,
    iso_utc,
)
from ingest.enrich import EnrichError, corrected_timestamp, parse_user_agent, utm_parameters
from matching.features import blocking_keys, model_record
from matching.normalise import (
    DEFAULT_OPTIONS,
    NormaliseError,
    NormaliseOptions,
    identifier,
    normalise_email,
    to_e164,
)
from privacy.consent import current
from privacy.consent import from_context as consent_from

MAX_EVENT_BYTES = 32 * 1024
MAX_BATCH_BYTES = 500 * 1024
MAX_ID_LENGTH = 256
MAX_NAME_LENGTH = 256
ENVELOPE_KEY = "_graphcdp"
GOLDEN_TRAITS = {
    "email": "email",
    "phone": "phone",
    "firstName": "first_name",
    "first_name": "first_name",
    "lastName": "last_name",
    "last_name": "last_name",
    "name": "name",
}
_OBJECTS = ("traits", "context", "integrations", "properties")
_TIMES = ("timestamp", "sentAt", "originalTimestamp")
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


class InvalidEvent(FieldError):
    """A call that breaks the spec; ``field`` names the offending field."""

    def at(self, prefix: str) -> InvalidEvent:
        """The same error with its field under ``prefix`` (e.g. ``batch[3]``)."""
        return InvalidEvent(f"{prefix}.{self.field}", self.reason)


@dataclass(frozen=True)
class Envelope:
    """A validated call ready for Kafka: its partition key and JSON body."""

    key: str
    message_id: str
    body: dict[str, Any]

    def value(self) -> bytes:
        return json.dumps(
            self.body, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        ).encode()


def validate(kind: str, payload: object, source: str, received_at: str) -> Envelope:
    """Check one call against the spec and wrap it for ``cdp.events``.

    The partition key is ``userId`` when present, else ``anonymousId``: every call about a
    known user lands on one partition, so its order is kept where it matters most.

    Raises:
        InvalidEvent: the call breaks the spec; the error names the field.
    """
    if not isinstance(payload, dict):
        raise InvalidEvent("body", "expected a JSON object")
    body = dict(payload)
    if not isinstance(body.pop("writeKey", None), str | None):
        raise InvalidEvent("writeKey", "expected a string")
    check_call(kind, body)
    message_id = body.get("messageId") or f"graphcdp-{uuid.uuid4()}"
    body["messageId"] = message_id
    body[ENVELOPE_KEY] = {"source": source, "receivedAt": received_at}
    key = body.get("userId") or body.get("anonymousId")
    envelope = Envelope(str(key), message_id, body)
    try:
        size = len(envelope.value())
    except ValueError:  # a NaN or an infinite float from a file import: not JSON
        raise InvalidEvent("body", "NaN and Infinity are not JSON numbers") from None
    if size > MAX_EVENT_BYTES:
        raise InvalidEvent("body", f"event of {size} bytes is over the 32 KB limit")
    return envelope


def check_call(kind: str, body: dict[str, Any]) -> None:
    """Check a call's fields against the spec, in place: ids become strings and times
    ISO-8601 UTC. The API checks each call with it, and the worker again (a message may
    have been produced straight to Kafka, past the API).

    Raises:
        InvalidEvent: the call breaks the spec; the error names the field.
    """
    declared = body.get("type", kind)
    if declared != kind:
        raise InvalidEvent("type", f"expected {kind!r} on this endpoint, got {declared!r}")
    if kind not in CALL_TYPES:
        raise InvalidEvent("type", f"unknown call type {kind!r}")
    body["type"] = kind
    user_id = _id(body, "userId")
    anonymous_id = _id(body, "anonymousId")
    if kind == "alias":
        if user_id is None:
            raise InvalidEvent("userId", "alias needs the new userId")
        if _id(body, "previousId") is None:
            raise InvalidEvent("previousId", "alias needs the previousId")
    elif user_id is None and anonymous_id is None:
        raise InvalidEvent("userId", "either userId or anonymousId is required")
    if kind == "track":
        _name(body, "event", required=True)
    elif kind in ("page", "screen"):
        _name(body, "name", required=False)
    elif kind == "group" and _id(body, "groupId") is None:
        raise InvalidEvent("groupId", "group needs a groupId")
    for name in _OBJECTS:
        if name in body and body[name] is not None and not isinstance(body[name], dict):
            raise InvalidEvent(name, "expected a JSON object")
    for name in _TIMES:
        if body.get(name) is not None:
            body[name] = _timestamp(name, body[name])
    message_id = body.get("messageId")
    if message_id is not None and (
        not isinstance(message_id, str) or not 0 < len(message_id) <= 128
    ):
        raise InvalidEvent("messageId", "expected a string of 1-128 characters")


@dataclass(frozen=True)
class BatchResult:
    accepted: list[Envelope]
    rejected: list[tuple[int, InvalidEvent, object]]  # index in the batch, error, the call
    accepted_index: list[int]  # the batch index of each accepted call


def validate_batch(payload: object, source: str, received_at: str) -> BatchResult:
    """Validate every call of a ``/v1/batch`` body; bad calls are returned, not raised.

    The batch's top-level ``context`` and ``integrations`` apply to every call (a call's
    own keys win), as Segment's batch API does.

    Raises:
        InvalidEvent: the body itself is not a batch.
    """
    if not isinstance(payload, dict):
        raise InvalidEvent("body", "expected a JSON object")
    calls = payload.get("batch")
    if not isinstance(calls, list):
        raise InvalidEvent("batch", "expected a list of calls")
    if not calls:
        raise InvalidEvent("batch", "is empty")
    shared = {
        k: payload[k] for k in ("context", "integrations") if isinstance(payload.get(k), dict)
    }
    result = BatchResult([], [], [])
    for index, call in enumerate(calls):
        try:
            if not isinstance(call, dict):
                raise InvalidEvent("body", "expected a JSON object")
            merged = dict(call)
            for key, value in shared.items():
                own = merged.get(key)
                merged[key] = {**value, **own} if isinstance(own, dict) else own or value
            kind = merged.get("type")
            if not isinstance(kind, str) or kind not in CALL_TYPES:
                raise InvalidEvent("type", f"expected one of {', '.join(CALL_TYPES)}")
            result.accepted.append(validate(kind, merged, source, received_at))
            result.accepted_index.append(index)
        except InvalidEvent as err:
            result.rejected.append((index, err.at(f"batch[{index}]"), call))
    return result


def observation(
    envelope: Mapping[str, Any], options: NormaliseOptions = DEFAULT_OPTIONS
) -> Observation:
    """Turn an envelope from ``cdp.events`` into an enriched observation of a person.

    Identifiers are normalised (``matching.normalise``); those that do not normalise (a
    malformed email, say) are left out, while the record keeps the raw traits, so nothing
    the caller sent is lost. ``alias`` joins ``previousId`` (taken as an anonymous id, its
    usual meaning in the Segment spec) to ``userId``. Enrichment: the time is corrected for
    the client's clock skew (``sentAt`` against receipt, as Segment does), the user agent
    gives the device's kind, OS and browser, and UTM parameters come from ``context``.

    Raises:
        InvalidEvent: the envelope is not a call GraphCDP can apply.
    """
    kind = envelope.get("type")
    if kind not in CALL_TYPES:
        raise InvalidEvent("type", f"unsupported call type {kind!r}")
    call: CallType = kind
    meta = envelope.get(ENVELOPE_KEY)
    if not isinstance(meta, dict) or not isinstance(meta.get("source"), str):
        raise InvalidEvent(ENVELOPE_KEY, "missing the ingest envelope (source, receivedAt)")
    message_id = envelope.get("messageId")
    if not isinstance(message_id, str) or not message_id:
        raise InvalidEvent("messageId", "missing")
    checked = dict(envelope)
    check_call(call, checked)  # again: a message may come straight to Kafka, past the API
    envelope = checked
    received_at = str(meta.get("receivedAt") or "")
    try:
        timestamp, _skew = corrected_timestamp(
            envelope.get("timestamp") or envelope.get("originalTimestamp"),
            envelope.get("sentAt"),
            received_at,
        )
    except EnrichError as err:
        raise InvalidEvent(err.field, err.reason) from None
    traits = _obj(envelope, "traits")
    context = _obj(envelope, "context")
    if call == "identify":
        # RudderStack's SDKs send identify traits in context.traits; top-level traits win.
        traits = {**_obj(context, "traits"), **traits}
    candidates: list[tuple[IdentifierType, object]] = [
        ("user_id", envelope.get("userId")),
        ("anonymous_id", envelope.get("anonymousId")),
    ]
    if call == "alias":
        candidates.append(("anonymous_id", envelope.get("previousId")))
    if call == "identify":
        candidates += [("email", traits.get("email")), ("phone", traits.get("phone"))]
    identifiers = _identifiers(candidates, options)
    event = EventData(
        type=call,
        name=_event_name(call, envelope),
        properties_json=_dumps(envelope.get("properties") or traits if call != "identify" else {}),
        group_id=str(envelope["groupId"]) if call == "group" else None,
        group_traits=_scalars(traits) if call == "group" else {},
        utm=utm_parameters(context),
        violations_json=_dumps(meta["violations"]) if meta.get("violations") else None,
        plan_version=str(meta["planVersion"]) if meta.get("planVersion") is not None else None,
    )
    golden = _golden(traits, options) if call == "identify" else {}
    consents = _consents(envelope, context, str(timestamp), meta["source"])
    return Observation(
        record_id=message_id,
        source=meta["source"],
        received_at=received_at,
        timestamp=str(timestamp),
        identifiers=identifiers,
        attributes_json=_dumps({"traits": traits, "context": context}),
        golden=golden,
        blocking=blocking_keys(model_record(message_id, golden, options)) if golden else (),
        devices=_devices(envelope, context),
        kind=call,
        event=event,
        always_record=call in ("identify", "alias"),
        consents=consents,
    )


def _consents(
    envelope: Mapping[str, Any], context: Mapping[str, Any], at: str, source: str
) -> tuple[ConsentChange, ...]:
    """Consent stated in ``context.consent`` and, on a track call, ``properties.consent``
    (privacy.consent); a malformed statement rejects the call, naming the field."""
    props = envelope.get("properties")
    stated = [("context.consent", context.get("consent"))]
    if envelope.get("type") == "track" and isinstance(props, dict):
        stated.append(("properties.consent", props.get("consent")))
    try:
        found = [
            c
            for where, value in stated
            for c in consent_from(value, at=at, source=source, where=where)
        ]
    except FieldError as err:
        raise InvalidEvent(err.field, err.reason) from None
    return tuple(current(found).values())


def _identifiers(
    candidates: list[tuple[IdentifierType, object]], options: NormaliseOptions
) -> tuple[Identifier, ...]:
    found: set[Identifier] = set()
    for type_, raw in candidates:
        if isinstance(raw, (str, int)) and not isinstance(raw, bool) and str(raw).strip():
            try:
                found.add(identifier(type_, str(raw), options))
            except InvalidIdentifier:
                continue
    return tuple(sorted(found))


def _event_name(call: CallType, envelope: Mapping[str, Any]) -> str | None:
    field = {"track": "event", "page": "name", "screen": "name", "group": "groupId"}.get(call)
    value = envelope.get(field) if field else None
    return str(value) if value is not None else None


def _golden(
    traits: Mapping[str, Any], options: NormaliseOptions
) -> dict[str, str | int | float | bool]:
    """Profile attributes from identify traits: the contact points in their plain canonical
    form (lower-cased email, E.164 phone: never the provider-folded matching key)."""
    golden: dict[str, str | int | float | bool] = {}
    for trait, attr in GOLDEN_TRAITS.items():
        value = traits.get(trait)
        if not isinstance(value, str) or not value.strip():
            continue
        try:
            if attr == "email":
                value = normalise_email(value)
            elif attr == "phone":
                value = to_e164(value, options.default_region)
        except NormaliseError:
            continue
        golden[attr] = value.strip()
    return golden


def _scalars(values: Mapping[str, Any]) -> dict[str, str | int | float | bool]:
    """The values a graph property can hold: strings, booleans, floats and 64-bit integers
    (the rest stay in the event's properties JSON)."""
    return {
        k: v
        for k, v in values.items()
        if isinstance(k, str)
        and k.isidentifier()
        and isinstance(v, (str, int, float, bool))
        and (not isinstance(v, int) or _INT64_MIN <= v <= _INT64_MAX)
    }


def _devices(envelope: Mapping[str, Any], context: Mapping[str, Any]) -> tuple[Device, ...]:
    device = _obj(context, "device")
    agent = _str(context, "userAgent")
    parsed = parse_user_agent(agent) if agent else None
    os_name = _str(_obj(context, "os"), "name") or (parsed.os_name if parsed else None)
    browser = parsed.browser_name if parsed else None
    device_id = _str(device, "id")
    if device_id:
        kind = _str(device, "type") or (parsed.device_kind if parsed else "mobile")
        return (Device(device_id, kind, os_name, agent, browser),)
    anonymous_id = _str(envelope, "anonymousId")
    if anonymous_id:
        # A browser or app install without a device id is known by its anonymous id.
        kind = parsed.device_kind if parsed else "unknown"
        return (Device(anonymous_id, kind, os_name, agent, browser),)
    return ()


def _obj(parent: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = parent.get(name)
    return value if isinstance(value, dict) else {}


def _str(parent: Mapping[str, Any], name: str) -> str | None:
    value = parent.get(name)
    return value.strip() or None if isinstance(value, str) else None


def _dumps(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


def _id(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise InvalidEvent(name, "expected a string or a number")
    text = str(value)
    if len(text) > MAX_ID_LENGTH:
        raise InvalidEvent(name, f"longer than {MAX_ID_LENGTH} characters")
    body[name] = text
    return text


def _name(body: dict[str, Any], name: str, *, required: bool) -> None:
    value = body.get(name)
    if value is None or value == "":
        if required:
            raise InvalidEvent(name, "is required")
        return
    if not isinstance(value, str):
        raise InvalidEvent(name, "expected a string")
    if len(value) > MAX_NAME_LENGTH:
        raise InvalidEvent(name, f"longer than {MAX_NAME_LENGTH} characters")


def _timestamp(name: str, value: object) -> str:
    if not isinstance(value, str):
        raise InvalidEvent(name, "expected an ISO-8601 date-time string")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidEvent(name, f"not an ISO-8601 date-time: {value!r}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return iso_utc(parsed)
