"""Identity-graph queries: the conflicts the identity rules recorded."""

from __future__ import annotations

import strawberry
from graphql import GraphQLError

from graph.model import IDENTIFIER_TYPES
from graph.repository import SettingsRepository
from resolvers.context import Info
from resolvers.identity.types import (
    Conflict,
    ConflictCount,
    IdentifierRule,
    IdentityRulesSetting,
)


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

    @strawberry.field(description="The identity rules in force (a new version applies within 5 s).")
    async def identity_rules(self, info: Info) -> IdentityRulesSetting:
        found = await info.context.settings.get(SettingsRepository.IDENTITY_RULES)
        rules = info.context.rules
        types = [
            IdentifierRule(
                type=t, identifying=r.identifying, priority=r.priority, limit=r.limit,
                degree_cap=r.degree_cap, weak=r.weak, check_names=r.check_names,
            )
            for t in IDENTIFIER_TYPES
            for r in (rules.rule(t),)
        ]  # fmt: skip
        if found is None:
            return IdentityRulesSetting(source="configuration", version=None, yaml=None,
                                        updated_at=None, actor=None, types=types)  # fmt: skip
        return IdentityRulesSetting(
            source="graph", version=found["version"], yaml=found["text"],
            updated_at=found["updated_at"], actor=found["actor"], types=types,
        )  # fmt: skip

    @strawberry.field(description="How many conflicts were recorded, by reason.")
    async def conflict_counts(self, info: Info, since: str = "") -> list[ConflictCount]:
        rows = await info.context.profiles.conflict_counts(since)
        return [ConflictCount(reason=r["reason"], count=r["count"]) for r in rows]
