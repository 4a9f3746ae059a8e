"""The attributes the probabilistic model compares, normalised the same way for training,
batch linking and real-time scoring: lower-case trimmed names and city, canonical email,
E.164 phone, ISO birth date, upper-case postcode without spaces; empty values are None."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from matching.normalise import (
    DEFAULT_OPTIONS,
    NormaliseError,
    NormaliseOptions,
    normalise_email,
    to_e164,
)

FEATURES = (
    "first_name", "last_name", "dob", "email", "phone", "address_line", "postcode", "city",
)  # fmt: skip


def model_record(
    record_id: str, values: Mapping[str, Any], options: NormaliseOptions = DEFAULT_OPTIONS
) -> dict[str, str | None]:
    """The record as the model sees it: ``record_id`` and every feature (None when absent)."""
    out: dict[str, str | None] = {"record_id": record_id}
    for name in FEATURES:
        raw = values.get(name)
        text = str(raw).strip() if raw is not None else ""
        out[name] = _normalised(name, text, options) if text else None
    return out


def _normalised(name: str, text: str, options: NormaliseOptions) -> str | None:
    try:
        if name == "email":
            return normalise_email(text)
        if name == "phone":
            return to_e164(text, options.default_region)
    except NormaliseError:
        return None
    if name == "postcode":
        return "".join(text.split()).upper() or None
    if name == "dob":
        return text[:10]
    return " ".join(text.lower().split()) or None


# The blocking keys a record is found by (one Record property each, indexed): the same pairs
# as the model's blocking rules for predictions (matching.train).
BLOCKING_RULES: dict[str, tuple[str, ...]] = {
    "bk_email": ("email",),
    "bk_phone": ("phone",),
    "bk_last_dob": ("last_name", "dob"),
    "bk_names": ("first_name", "last_name"),
    "bk_post_last": ("postcode", "last_name"),
    "bk_first_dob": ("first_name", "dob"),
    "bk_post_dob": ("postcode", "dob"),
}


def blocking_keys(record: Mapping[str, str | None]) -> tuple[tuple[str, str], ...]:
    """(property, key) for every blocking rule whose columns the model record all has."""
    keys = []
    for prop, columns in BLOCKING_RULES.items():
        values = [record.get(c) for c in columns]
        if all(values):
            keys.append((prop, "|".join(str(v) for v in values)))
    return tuple(keys)
