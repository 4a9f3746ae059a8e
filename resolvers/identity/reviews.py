"""Review of the model's uncertain pairs: the list, and a person's accept or reject."""

from __future__ import annotations

import functools
from enum import Enum
from typing import Annotated, Any

import strawberry
from graphql import GraphQLError

from matching.review import merge_refusal
from resolvers.context import Info
from resolvers.identity.operations import announce_merge
from resolvers.identity.types import ModelLink


@strawberry.enum
class ReviewStatus(Enum):
    OPEN = "open"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


@strawberry.type(description="A record pair the model scored between review and link.")
class Review:
    link: ModelLink
    status: ReviewStatus
    at: str | None
    customer_id: strawberry.ID
    other_customer_id: strawberry.ID

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Review:
        return cls(
            link=ModelLink.from_row(row["record_id"], {**row, "to": row["other_record_id"]}),
            status=ReviewStatus(row["status"]),
            at=row.get("at"),
            customer_id=strawberry.ID(row["customer_id"]),
            other_customer_id=strawberry.ID(row["other_customer_id"]),
        )


@strawberry.type(description="The decision is recorded.")
class ReviewDecided:
    status: ReviewStatus
    merged_into: strawberry.ID | None = strawberry.field(
        description="The customer both records belong to now, when accepting merged two"
    )
    decided_now: bool = strawberry.field(description="False when it had been decided before")


@strawberry.type(description="Accepting would break the identity rules; nothing changed.")
class ReviewRefused:
    reason: str


@strawberry.type(description="No REVIEW pair from recordId to otherRecordId.")
class ReviewNotFound:
    record_id: strawberry.ID
    other_record_id: strawberry.ID


ReviewResult = Annotated[
    ReviewDecided | ReviewRefused | ReviewNotFound, strawberry.union("ReviewResult")
]


@strawberry.type
class ReviewQueries:
    @strawberry.field(description="Pairs waiting for (or given) a person's decision.")
    async def reviews(
        self, info: Info, status: ReviewStatus = ReviewStatus.OPEN, first: int = 20
    ) -> list[Review]:
        if not 1 <= first <= 200:
            raise GraphQLError(
                "first must be between 1 and 200", extensions={"code": "BAD_USER_INPUT"}
            )
        rows = await info.context.reviews.reviews(status.value, first)
        return [Review.from_row(r) for r in rows]


@strawberry.type
class ReviewMutations:
    @strawberry.mutation(
        description="Accept (a MATCHES link; the customers merge unless the identity rules "
        "forbid it) or reject (a NOT_MATCH link; the customers are kept apart, so no later "
        "model or rule link joins them) a REVIEW pair."
    )
    async def decide_review(
        self, info: Info, record_id: strawberry.ID, other_record_id: strawberry.ID,
        accept: bool, reason: str | None = None,
    ) -> ReviewResult:  # fmt: skip
        ctx = info.context
        check = functools.partial(merge_refusal, ctx.rules)
        decision = await ctx.reviews.decide(
            str(record_id), str(other_record_id), accept, ctx.actor, reason, check
        )
        if decision is None:
            return ReviewNotFound(record_id=record_id, other_record_id=other_record_id)
        if decision.refused is not None:
            return ReviewRefused(reason=decision.refused)
        if decision.merged is not None:
            await announce_merge(ctx.changes, *decision.merged, cause="operator")
        return ReviewDecided(
            status=ReviewStatus(decision.status),
            merged_into=strawberry.ID(decision.merged[0]) if decision.merged else None,
            decided_now=decision.decided_now,
        )
