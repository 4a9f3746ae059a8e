"""Customer record rows (``cdp.records``: CRM rows, batch imports) as observations."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from graph.model import Identifier, IdentifierType, InvalidIdentifier, Observation, iso_utc
from ingest.spec import ENVELOPE_KEY, InvalidEvent
from matching.features import blocking_keys, model_record
from matching.normalise import (
    DEFAULT_OPTIONS,
    NormaliseError,
    NormaliseOptions,
    identifier,
    normalise_email,
)

RECORD_COLUMNS = (
    "record_id", "source", "first_name", "last_name", "email", "phone", "dob",
    "address_line", "city", "postcode", "country", "user_id", "anonymous_id", "device_id",
    "crm_id",
)  # fmt: skip
IDENTIFYING: tuple[IdentifierType, ...] = (
    "email", "phone", "user_id", "anonymous_id", "device_id", "crm_id",
)  # fmt: skip
GOLDEN_COLUMNS = (
    "first_name", "last_name", "email", "phone", "dob", "address_line", "city", "postcode",
    "country",
)  # fmt: skip


def record_observation(
    row: Mapping[str, Any], options: NormaliseOptions = DEFAULT_OPTIONS
) -> Observation:
    """Turn a canonical record row (see ``RECORD_COLUMNS``) into an observation.

    Raises:
        InvalidEvent: no record_id or source, or no identifier that normalises.
    """
    record_id = row.get("record_id")
    if not isinstance(record_id, str) or not record_id.strip():
        raise InvalidEvent("record_id", "is required")
    meta = row.get(ENVELOPE_KEY) if isinstance(row.get(ENVELOPE_KEY), dict) else {}
    source = row.get("source") or (meta or {}).get("source")
    if not isinstance(source, str) or not source.strip():
        raise InvalidEvent("source", "is required")
    received_at = str((meta or {}).get("receivedAt") or "")
    identifiers: set[Identifier] = set()
    for type_ in IDENTIFYING:
        raw = row.get(type_)
        if isinstance(raw, str) and raw.strip():
            try:
                identifiers.add(identifier(type_, raw, options))
            except InvalidIdentifier:
                continue
    if not identifiers:
        raise InvalidEvent("email", "no usable identifier among " + ", ".join(IDENTIFYING))
    golden: dict[str, str | int | float | bool] = {
        col: str(row[col]).strip()
        for col in GOLDEN_COLUMNS
        if isinstance(row.get(col), str) and str(row[col]).strip()
    }
    for ident in identifiers:
        if ident.type == "phone":
            golden["phone"] = ident.value  # E.164
    if "email" in golden:
        try:
            golden["email"] = normalise_email(str(golden["email"]))
        except NormaliseError:
            del golden["email"]
    attributes = {k: v for k, v in row.items() if k != ENVELOPE_KEY}
    return Observation(
        record_id=record_id.strip(),
        source=source.strip(),
        received_at=received_at,
        timestamp=_when(row.get("updated_at") or _extra(row).get("updated_at")) or received_at,
        identifiers=tuple(sorted(identifiers)),
        attributes_json=json.dumps(attributes, separators=(",", ":"), sort_keys=True, default=str),
        golden=golden,
        kind="record",
        blocking=blocking_keys(model_record(record_id.strip(), golden, options)),
    )


def _extra(row: Mapping[str, Any]) -> Mapping[str, Any]:
    extra = row.get("extra")
    return extra if isinstance(extra, dict) else {}


def _when(value: object) -> str | None:
    """An ``updated_at`` in the graph's timestamp format (None when absent or unreadable)."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return iso_utc(moment if moment.tzinfo else moment.replace(tzinfo=UTC))
