"""GraphQL types of the identity graph."""

from __future__ import annotations

from typing import Any

import strawberry


@strawberry.type(description="A link the identity rules refused, with the customers kept apart.")
class Conflict:
    id: strawberry.ID
    at: str
    reason: str = strawberry.field(description="limit (a per-type limit) or degree_cap")
    record_id: str
    identifier: str = strawberry.field(description="The identifier key, type:value")
    customer_ids: list[strawberry.ID]

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Conflict:
        return cls(
            id=strawberry.ID(row["conflict_id"]),
            at=row["at"],
            reason=row["reason"],
            record_id=row["record_id"],
            identifier=row["identifier"],
            customer_ids=[strawberry.ID(c) for c in row["customers"]],
        )
