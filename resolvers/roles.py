"""The roles of API callers (standard library only: the CLI imports it without Strawberry)."""

from __future__ import annotations

from typing import Literal

Role = Literal["admin", "marketer", "analyst", "viewer", "ingest"]
ROLES: tuple[Role, ...] = ("admin", "marketer", "analyst", "viewer", "ingest")

# Roles that see PII (email, phone, names, address, dob, email and phone identifiers)
# unmasked; their reads of PII are audited.
PII_ROLES: frozenset[str] = frozenset({"admin", "marketer"})


def has_pii_access(role: str) -> bool:
    """Whether ``role`` reads PII unmasked."""
    return role in PII_ROLES


def is_role(value: str) -> bool:
    return value in ROLES
