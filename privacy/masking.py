"""How each kind of PII is masked, keeping its shape (``k***@e***.com``, ``+4*********99``,
``K** L**``): the GraphQL API for roles without PII access (resolvers.pii) and masked exports
(``graphcdp export --mask``) use the same functions."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Literal

PiiKind = Literal["email", "phone", "name", "address", "dob"]

# Golden attributes (and their provenance) that are PII, by kind.
PII_ATTRIBUTES: dict[str, PiiKind] = {
    "email": "email",
    "phone": "phone",
    "first_name": "name",
    "last_name": "name",
    "name": "name",
    "display_name": "name",
    "address": "address",
    "street": "address",
    "postcode": "address",
    "dob": "dob",
    "birth_date": "dob",
}
# Identifier types whose values are PII.
PII_IDENTIFIERS: dict[str, PiiKind] = {"email": "email", "phone": "phone"}


def mask_email(value: str) -> str:
    """``jane.doe@example.com`` -> ``j***@e***.com``."""
    local, at, domain = value.rpartition("@")
    if not at:
        return mask_words(value)
    host, dot, tld = domain.rpartition(".")
    if not dot:
        host, tld = domain, ""
    return f"{local[:1]}***@{host[:1]}***{dot}{tld}"


def mask_phone(value: str) -> str:
    """``+14155550199`` -> ``+1*********99``: the first two and last two characters kept."""
    if len(value) <= 6:
        return "*" * len(value)
    return value[:2] + "*" * (len(value) - 4) + value[-2:]


def mask_words(value: str) -> str:
    """``Kim Lee`` -> ``K** L**``: each word keeps its first character and its length."""
    return re.sub(r"\w+", lambda m: m.group()[0] + "*" * (len(m.group()) - 1), value)


def mask_date(value: str) -> str:
    """``1990-05-17`` -> ``****-**-**``."""
    return re.sub(r"\d", "*", value)


_MASKS: dict[PiiKind, Callable[[str], str]] = {
    "email": mask_email,
    "phone": mask_phone,
    "name": mask_words,
    "address": mask_words,
    "dob": mask_date,
}


def mask(kind: PiiKind, value: str) -> str:
    """``value`` masked as PII of ``kind``."""
    return _MASKS[kind](value)


def mask_identifier_key(key: str) -> str:
    """An identifier key ``type:value`` with the value masked when the type is PII."""
    type_, sep, value = key.partition(":")
    kind = PII_IDENTIFIERS.get(type_)
    return f"{type_}{sep}{mask(kind, value)}" if kind and sep else key


_KEY_IN_TEXT = re.compile(r"\b(?:email|phone):[^\s,;()]+")


def mask_keys_in_text(text: str) -> str:
    """A sentence with every PII identifier key in it masked (``shares email:k***@e***.com``)."""
    return _KEY_IN_TEXT.sub(lambda m: mask_identifier_key(m.group()), text)


# Keys of free-form JSON (event properties, group traits) whose values are PII, compared in
# lower case without "_" and "-" (firstName, first_name and first-name alike).
PII_JSON_KEYS: dict[str, PiiKind] = {
    "email": "email", "phone": "phone", "mobile": "phone", "firstname": "name",
    "lastname": "name", "name": "name", "displayname": "name", "fullname": "name",
    "address": "address", "street": "address", "streetaddress": "address",
    "addressline1": "address",
    "addressline2": "address", "postcode": "address", "postalcode": "address", "zip": "address",
    "dob": "dob", "birthday": "dob", "birthdate": "dob", "dateofbirth": "dob",
}  # fmt: skip


def _json_kind(key: object) -> PiiKind | None:
    return PII_JSON_KEYS.get(str(key).lower().replace("_", "").replace("-", ""))


def mask_json(value: Any) -> Any:
    """JSON with the values under PII keys masked, at any depth (``{"email": "k***@e***.com"}``);
    a non-text value under such a key becomes ``"***"``."""
    if isinstance(value, dict):
        return {
            k: (mask(kind, v) if isinstance(v, str) else "***")
            if (kind := _json_kind(k)) and v is not None and not isinstance(v, dict | list)
            else mask_json(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [mask_json(v) for v in value]
    return value


def json_has_pii(value: Any) -> bool:
    """Whether JSON holds a value under a PII key (at any depth)."""
    if isinstance(value, dict):
        return any(
            (_json_kind(k) and v is not None and not isinstance(v, dict | list)) or json_has_pii(v)
            for k, v in value.items()
        )
    if isinstance(value, list):
        return any(json_has_pii(v) for v in value)
    return False
