"""The attributes the probabilistic model compares, normalised the same way for training,
batch linking and real-time scoring: lower-case trimmed names and city, canonical email,
E.164 phone, ISO birth date, upper-case postcode without spaces; empty values are None."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from matching.normalise import (
    DEFAULT_OPTIONS,
    NormaliseError,
    NormaliseOptions,
    normalise_email,
    to_e164,
)

_E164 = re.compile(r"\+[1-9][0-9]{6,14}")
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
            # A value already in E.164 form (what the graph stores) is taken as it is: the
            # model only compares it, and parsing a million stored phones again costs minutes.
            return text if _E164.fullmatch(text) else to_e164(text, options.default_region)
    except NormaliseError:
        return None
    if name == "postcode":
        return "".join(text.split()).upper() or None
    if name == "dob":
        return text[:10]
    return " ".join(text.lower().split()) or None


# The blocking keys a record is found by (one Record property each, indexed): the same pairs
# as the model's blocking rules for predictions (:func:`splink_blocking_rules`). Each is
# selective in a CDP's data, where a city or a postcode alone would pair thousands of people:
# the same address in a city, or a first name in a postcode, is a household or a person.
BLOCKING_RULES: dict[str, tuple[str, ...]] = {
    "bk_email": ("email",),
    "bk_phone": ("phone",),
    "bk_last_dob": ("last_name", "dob"),
    "bk_names": ("first_name", "last_name"),
    "bk_post_last": ("postcode", "last_name"),
    "bk_first_dob": ("first_name", "dob"),
    "bk_post_dob": ("postcode", "dob"),
    "bk_addr_city": ("address_line", "city"),
    "bk_first_post": ("first_name", "postcode"),
    "bk_dob_city": ("dob", "city"),
    "bk_addr_dob": ("address_line", "dob"),
}
# One more lookup without a property of its own: first and last name swapped, sought in the
# bk_names index (a form that put the surname first).
SWAPPED_NAMES = ("last_name", "first_name")


def blocking_keys(record: Mapping[str, str | None]) -> tuple[tuple[str, str], ...]:
    """(property, key) for every blocking rule whose columns the model record all has."""
    keys = []
    for prop, columns in BLOCKING_RULES.items():
        key = _key(record, columns)
        if key is not None:
            keys.append((prop, key))
    return tuple(keys)


def swapped_names_key(record: Mapping[str, str | None]) -> str | None:
    """The bk_names key the record would have with first and last name swapped."""
    return _key(record, SWAPPED_NAMES)


BLOCK_LIMIT = 50
"""Batch linking leaves out every block of more than this many records (block purging): a
key that many records share is a common name, a placeholder or a shop's address, it pairs
thousands of records that nothing else links (on a million synthetic records, 35 of the 43
million pairs came from common names alone), and a true pair within it shares another key. The
stream's candidate search keeps at most as many candidates per record (match.candidates)."""


def splink_blocking_rules(purged: bool = False) -> list[Any]:
    """The same rules for Splink's predictions: one ``block_on`` per key, and the swap.

    With ``purged`` each rule blocks on its key column (``bk_email``, ...) instead of the
    columns it joins, for input whose large blocks are purged (keys over :data:`BLOCK_LIMIT`
    records set to null, as ``graphcdp match link`` prepares them)."""
    from splink import block_on
    from splink.blocking_rule_library import CustomRule

    first, last = BLOCKING_RULES["bk_names"]
    rules = [block_on(key) if purged else block_on(*columns)
             for key, columns in BLOCKING_RULES.items()]  # fmt: skip
    return [*rules, CustomRule(f"l.{first} = r.{last} and l.{last} = r.{first}")]


def purged_keys_sql(table: str, limit: int = BLOCK_LIMIT) -> str:
    """DuckDB/Spark SQL adding one ``bk_`` column per blocking rule to ``table``'s rows: the
    key (its columns joined by ``|``, as :func:`blocking_keys` makes it), or null when a column
    is empty or more than ``limit`` rows share the key."""
    columns = []
    for key, parts in BLOCKING_RULES.items():
        present = " AND ".join(f"coalesce({c}, '') <> ''" for c in parts)
        joined = " || '|' || ".join(parts)
        partition = ", ".join(parts)
        columns.append(
            f"CASE WHEN {present} AND count(*) OVER (PARTITION BY {partition}) <= {int(limit)} "
            f"THEN {joined} END AS {key}"
        )
    return f"SELECT *, {', '.join(columns)} FROM {table}"  # noqa: S608 (our column names)


def _key(record: Mapping[str, str | None], columns: tuple[str, ...]) -> str | None:
    values = [record.get(c) for c in columns]
    return "|".join(str(v) for v in values) if all(values) else None
