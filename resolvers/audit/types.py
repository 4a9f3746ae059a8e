"""GraphQL types of the audit log."""

from __future__ import annotations

import base64
from typing import Any

import strawberry


@strawberry.type(description="Who called a mutation or read PII, what, and when (no values).")
class AuditEntry:
    id: strawberry.ID
    at: str
    actor: str = strawberry.field(description="key:<API key name> or jwt:<sub>")
    role: str
    operation: str = strawberry.field(description="The operation's name (anonymous: none)")
    kind: str = strawberry.field(description="mutation, pii_read or forbidden")
    fields: list[str] = strawberry.field(
        description="Root fields called, PII fields read and fields refused (Type.field)"
    )
    customer_ids: list[strawberry.ID]

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> AuditEntry:
        return cls(
            id=strawberry.ID(row["entry_id"]),
            at=row["at"],
            actor=row["actor"],
            role=row["role"],
            operation=row["operation"],
            kind=row["kind"],
            fields=list(row["fields"] or []),
            customer_ids=[strawberry.ID(c) for c in row["customer_ids"] or []],
        )


@strawberry.type(description="A page of the audit log, newest first.")
class AuditLogPage:
    entries: list[AuditEntry]
    end_cursor: str | None = strawberry.field(
        description="Pass as `after` for the next page; null on the last page"
    )


def cursor_of(row: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(f"{row['at']}|{row['entry_id']}".encode()).decode()


def parse_cursor(cursor: str) -> tuple[str, str] | None:
    """The (at, entry_id) of a cursor, or None when it is not one."""
    try:
        at, sep, entry_id = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
    except (ValueError, UnicodeDecodeError):
        return None
    return (at, entry_id) if sep and at and entry_id else None
