"""The audit log query (admins only: see resolvers/permissions.py)."""

from __future__ import annotations

import strawberry
from graphql import GraphQLError

from resolvers.audit.types import AuditEntry, AuditLogPage, cursor_of, parse_cursor
from resolvers.context import Info


@strawberry.type
class AuditQueries:
    @strawberry.field(
        description="Mutations, PII reads and refused fields, newest first; `after` is the "
        "`endCursor` of the page before; `actor` keeps one caller's entries."
    )
    async def audit_log(
        self, info: Info, first: int = 50, after: str | None = None, actor: str | None = None
    ) -> AuditLogPage:
        if not 1 <= first <= 500:
            raise GraphQLError(
                "first must be between 1 and 500", extensions={"code": "BAD_USER_INPUT"}
            )
        position = None
        if after is not None:
            position = parse_cursor(after)
            if position is None:
                raise GraphQLError("after is not a cursor", extensions={"code": "BAD_USER_INPUT"})
        rows = await info.context.audit_entries.entries(first + 1, position, actor)
        page = rows[:first]
        return AuditLogPage(
            entries=[AuditEntry.from_row(r) for r in page],
            end_cursor=cursor_of(page[-1]) if len(rows) > first else None,
        )
