"""PII in GraphQL: the field extension that masks it (the masks are privacy.masking).

A field that can carry PII declares it once, ``strawberry.field(extensions=[pii(...)])``. For
a role without PII access (see ``resolvers.permissions.PII_ROLES``) the value comes back
masked, with its shape kept (``k***@e***.com``, ``+4*********99``, ``K** L**``), never null, so
frontends keep working; for a role with PII access it comes back as stored and the read is
noted in the request's access record, which the audit log turns into an entry (field names and
customer ids, never values).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Literal

from strawberry.extensions.field_extension import FieldExtension, SyncExtensionResolver
from strawberry.types import Info

from privacy.masking import (
    PII_ATTRIBUTES,
    PII_IDENTIFIERS,
    PII_JSON_KEYS,
    PiiKind,
    json_has_pii,
    mask,
    mask_date,
    mask_email,
    mask_identifier_key,
    mask_json,
    mask_keys_in_text,
    mask_phone,
    mask_words,
)
from resolvers.roles import has_pii_access

__all__ = [
    "PII_ATTRIBUTES", "PII_IDENTIFIERS", "PII_JSON_KEYS", "Pii", "PiiKind", "identifier_kind",
    "json_has_pii", "key_kind", "mask", "mask_date", "mask_email", "mask_identifier_key",
    "mask_json", "mask_keys_in_text", "mask_phone", "mask_words", "pii",
]  # fmt: skip


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
