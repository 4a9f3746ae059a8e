"""Identity-graph queries: the conflicts the identity rules recorded."""

from __future__ import annotations

import strawberry
from graphql import GraphQLError

from resolvers.context import Info
from resolvers.identity.types import Conflict


@strawberry.type
class IdentityQueries:
    @strawberry.field(description="Refused links, newest first (at most 200).")
    async def conflicts(
        self,
        info: Info,
        first: int = 20,
        since: str = "",
        customer_id: strawberry.ID | None = None,
    ) -> list[Conflict]:
        if not 1 <= first <= 200:
            raise GraphQLError(
                "first must be between 1 and 200", extensions={"code": "BAD_USER_INPUT"}
            )
        rows = await info.context.profiles.conflicts(
            since, first, str(customer_id) if customer_id else None
        )
        return [Conflict.from_row(r) for r in rows]
