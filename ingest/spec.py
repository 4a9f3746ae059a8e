"""The Segment spec, as far as GraphCDP reads it: validation and the Kafka envelope.

Both entrypoints share this module: the HTTP route validates and wraps a call into an
envelope (what goes on ``cdp.events``); the worker turns an envelope into an
:class:`~graph.model.Observation`. Unknown extra fields are kept in the envelope.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from graph.model import Device, Identifier, IdentifierType, InvalidIdentifier, Observation

MAX_EVENT_BYTES = 32 * 1024
MAX_ID_LENGTH = 256
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


class InvalidEvent(ValueError):
    """A call that breaks the spec; ``field`` names the offending field."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


@dataclass(frozen=True)
class Envelope:
    """A validated call ready for Kafka: its partition key and JSON body."""

    key: str
    message_id: str
    body: dict[str, Any]

    def value(self) -> bytes:
        return json.dumps(self.body, separators=(",", ":"), ensure_ascii=False).encode()


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
    body.pop("writeKey", None)
    declared = body.get("type", kind)
    if declared != kind:
        raise InvalidEvent("type", f"expected {kind!r} on this endpoint, got {declared!r}")
    body["type"] = kind
    user_id = _id(body, "userId")
    anonymous_id = _id(body, "anonymousId")
    if user_id is None and anonymous_id is None:
        raise InvalidEvent("userId", "either userId or anonymousId is required")
    for name in ("traits", "context", "integrations", "properties"):
        if name in body and body[name] is not None and not isinstance(body[name], dict):
            raise InvalidEvent(name, "expected a JSON object")
    if "timestamp" in body and body["timestamp"] is not None:
        body["timestamp"] = _timestamp("timestamp", body["timestamp"])
    message_id = body.get("messageId")
    if message_id is None:
        message_id = f"graphcdp-{uuid.uuid4()}"
    elif not isinstance(message_id, str) or not 0 < len(message_id) <= 128:
        raise InvalidEvent("messageId", "expected a string of 1-128 characters")
    body["messageId"] = message_id
    body[ENVELOPE_KEY] = {"source": source, "receivedAt": received_at}
    envelope = Envelope(str(user_id or anonymous_id), message_id, body)
    if len(envelope.value()) > MAX_EVENT_BYTES:
        raise InvalidEvent("body", f"event larger than {MAX_EVENT_BYTES // 1024} KB")
    return envelope


def observation(envelope: Mapping[str, Any]) -> Observation:
    """Turn an identify envelope from ``cdp.events`` into an observation of a person.

    Identifiers that do not normalise (a malformed email, say) are left out; the record keeps
    the raw traits, so nothing the caller sent is lost.

    Raises:
        InvalidEvent: the envelope is not an identify call GraphCDP can apply.
    """
    kind = envelope.get("type")
    if kind != "identify":
        raise InvalidEvent("type", f"unsupported call type {kind!r}")
    meta = envelope.get(ENVELOPE_KEY)
    if not isinstance(meta, dict) or not isinstance(meta.get("source"), str):
        raise InvalidEvent(ENVELOPE_KEY, "missing the ingest envelope (source, receivedAt)")
    message_id = envelope.get("messageId")
    if not isinstance(message_id, str) or not message_id:
        raise InvalidEvent("messageId", "missing")
    received_at = str(meta.get("receivedAt") or "")
    timestamp = envelope.get("timestamp") or received_at
    traits = envelope.get("traits") or {}
    context = envelope.get("context") or {}
    if not isinstance(traits, dict) or not isinstance(context, dict):
        raise InvalidEvent("traits", "expected a JSON object")
    identifiers: list[Identifier] = []
    candidates: list[tuple[IdentifierType, object]] = [
        ("user_id", envelope.get("userId")),
        ("anonymous_id", envelope.get("anonymousId")),
        ("email", traits.get("email")),
        ("phone", traits.get("phone")),
    ]
    for type_, raw in candidates:
        if isinstance(raw, (str, int)) and not isinstance(raw, bool) and str(raw).strip():
            try:
                identifiers.append(Identifier.of(type_, str(raw)))
            except InvalidIdentifier:
                continue
    golden = _golden(traits, identifiers)
    return Observation(
        record_id=message_id,
        source=meta["source"],
        received_at=received_at,
        timestamp=str(timestamp),
        identifiers=tuple(sorted(set(identifiers))),
        attributes_json=json.dumps(
            {"traits": traits, "context": context}, separators=(",", ":"), sort_keys=True
        ),
        golden=golden,
        devices=_devices(envelope, context),
        kind="identify",
    )


def _golden(
    traits: Mapping[str, Any], identifiers: list[Identifier]
) -> dict[str, str | int | float | bool]:
    golden: dict[str, str | int | float | bool] = {}
    for trait, attr in GOLDEN_TRAITS.items():
        value = traits.get(trait)
        if isinstance(value, str) and value.strip():
            golden[attr] = value.strip()
    for ident in identifiers:
        if ident.type in ("email", "phone"):
            golden[ident.type] = ident.value
    return golden


def _devices(envelope: Mapping[str, Any], context: Mapping[str, Any]) -> tuple[Device, ...]:
    device = _obj(context, "device")
    os_name = _str(_obj(context, "os"), "name")
    agent = _str(context, "userAgent")
    device_id = _str(device, "id")
    if device_id:
        kind = _str(device, "type") or "mobile"
        return (Device(device_id, kind, os_name, agent),)
    anonymous_id = _str(envelope, "anonymousId")
    if anonymous_id:
        # A browser or app install without a device id is known by its anonymous id.
        return (Device(anonymous_id, "browser" if agent else "unknown", os_name, agent),)
    return ()


def _obj(parent: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = parent.get(name)
    return value if isinstance(value, dict) else {}


def _str(parent: Mapping[str, Any], name: str) -> str | None:
    value = parent.get(name)
    return value.strip() or None if isinstance(value, str) else None


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


def _timestamp(name: str, value: object) -> str:
    if not isinstance(value, str):
        raise InvalidEvent(name, "expected an ISO-8601 date-time string")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidEvent(name, f"not an ISO-8601 date-time: {value!r}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
