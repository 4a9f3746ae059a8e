"""PII in one place: how each kind is masked, and the field extension that masks it.

A field that can carry PII declares it once, ``strawberry.field(extensions=[pii(...)])``. For
a role without PII access (see ``resolvers.permissions.PII_ROLES``) the value comes back
masked, with its shape kept (``k***@e***.com``, ``+4*********99``, ``K** L**``), never null, so
frontends keep working; for a role with PII access it comes back as stored and the read is
noted in the request's access record, which the audit log turns into an entry (field names and
customer ids, never values).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any, Literal

from strawberry.extensions.field_extension import FieldExtension, SyncExtensionResolver
from strawberry.types import Info

from resolvers.roles import has_pii_access

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


Derived = Literal["key", "text", "json"]
KindOf = Callable[[Any], PiiKind | Derived | None]
OwnersOf = Callable[[Any], Iterable[str]]


class Pii(FieldExtension):
    """Masks the field's value for roles without PII access; notes the read otherwise.

    ``kind_of(source)`` says what the value is (``key`` for an identifier key ``type:value``,
    ``text`` for a sentence that may name such keys, ``json`` for free-form JSON whose PII
    keys are masked; None: not PII for this source);
    ``owners_of(source)`` the customer ids it belongs to.
    """

    def __init__(self, kind_of: KindOf, owners_of: OwnersOf) -> None:
        self.kind_of = kind_of
        self.owners_of = owners_of

    def resolve(
        self, next_: SyncExtensionResolver, source: Any, info: Info[Any, Any], **kwargs: Any
    ) -> Any:
        value = next_(source, info, **kwargs)
        if value is None:
            return None
        kind = self.kind_of(source)
        if kind is None:
            return value
        if kind == "json" and not json_has_pii(value):
            return value
        ctx = info.context
        if has_pii_access(str(getattr(ctx, "role", ""))):
            access = getattr(ctx, "access", None)
            if access is not None:
                access.read_pii(f"{type(source).__name__}.{info.field_name}",
                                self.owners_of(source))  # fmt: skip
            return value
        if kind == "key":
            return mask_identifier_key(str(value))
        if kind == "text":
            return mask_keys_in_text(str(value))
        if kind == "json":
            return mask_json(value)
        return mask(kind, str(value))


def pii(kind: PiiKind | Derived | KindOf, owners_of: OwnersOf) -> Pii:
    """The extension of a PII field: a fixed kind, or one that depends on the source."""
    if isinstance(kind, str):
        fixed: PiiKind | Derived = kind
        return Pii(lambda _source: fixed, owners_of)
    return Pii(kind, owners_of)


def identifier_kind(type_: str) -> PiiKind | None:
    """The PII kind of an identifier type's values (None: not PII)."""
    return PII_IDENTIFIERS.get(type_)


def key_kind(key: str) -> Literal["key"] | None:
    """``key`` when the identifier key ``type:value`` holds PII, else None."""
    return "key" if key.partition(":")[0] in PII_IDENTIFIERS else None
