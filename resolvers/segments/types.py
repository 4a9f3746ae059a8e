"""GraphQL types of segments: definitions with versions, members, previews, errors."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.scalars import JSON

from graph.repository.segments import Segment as Stored
from resolvers.context import Info
from resolvers.customer.connections import CustomerConnection
from resolvers.pagination import bad_input, page_size, uncursor
from segments.definition import Node, parse
from segments.jobs import why

if TYPE_CHECKING:
    from resolvers.customer.types import Customer

LazyCustomer = Annotated["Customer", strawberry.lazy("resolvers.customer.types")]


@strawberry.type(description="A segment: a versioned rule tree over the customer graph.")
class Segment:
    id: strawberry.ID
    name: str
    version: int
    definition: JSON
    created_at: str
    updated_at: str
    member_count: int

    @strawberry.field(description="Members in id order, a page at a time.")
    async def members(
        self, info: Info, first: int = 20, after: str | None = None
    ) -> CustomerConnection:
        from resolvers.customer.types import customer_page  # (it imports this module)

        limit = page_size(first)
        start = uncursor(after, 1)[0] if after else ""
        ids, total = await info.context.segments.members(str(self.id), start, limit + 1)
        return await customer_page(info, ids, limit, total)

    @strawberry.field(
        description="Why the customer is or is not a member: whether the definition holds "
        "now, and each condition's answer with its path; null for an unknown customer."
    )
    async def why(self, info: Info, customer_id: strawberry.ID) -> SegmentWhy | None:
        parsed = parse(self.definition)
        answer = await why(info.context.segments, parsed, str(customer_id), datetime.now(UTC))
        if answer is None:
            return None
        of = await info.context.segments.segments_of([str(customer_id)])
        member = any(m["segment_id"] == str(self.id) for m in of.get(str(customer_id), []))
        return SegmentWhy(
            customer_id=customer_id, member=member, holds=answer.holds,
            conditions=[ConditionCheck(path=p, condition=JSON(_describe(n)), holds=h)
                        for p, n, h in answer.leaves],
        )  # fmt: skip

    @strawberry.field(description="Members over the last `days` days: enters, exits, count.")
    async def history(self, info: Info, days: int = 30) -> list[SegmentDay]:
        if not 1 <= days <= 366:
            raise bad_input("days must be between 1 and 366")
        since = (datetime.now(UTC) - timedelta(days=days)).strftime("%Y-%m-%d")
        rows = await info.context.segments.history(str(self.id), since)
        out, members = [], self.member_count
        for row in reversed(rows):  # back from today's count
            out.append(SegmentDay(day=row["day"], entered=row["entered"], exited=row["exited"],
                                  members=members))  # fmt: skip
            members -= row["entered"] - row["exited"]
        return out[::-1]

    @classmethod
    def from_stored(cls, s: Stored) -> Segment:
        return cls(id=strawberry.ID(s.segment_id), name=s.name, version=s.version,
                   definition=JSON(s.definition), created_at=s.created_at,
                   updated_at=s.updated_at, member_count=s.members)  # fmt: skip


@strawberry.type(description="One condition of a segment and whether it holds.")
class ConditionCheck:
    path: str
    condition: JSON
    holds: bool


@strawberry.type
class SegmentWhy:
    customer_id: strawberry.ID
    member: bool = strawberry.field(description="A member now (MEMBER_OF).")
    holds: bool = strawberry.field(description="The definition holds now.")
    conditions: list[ConditionCheck]


@strawberry.type(description="A day of a segment: who entered and left, members at its end.")
class SegmentDay:
    day: str
    entered: int
    exited: int
    members: int


@strawberry.type(description="How much segments overlap.")
class SegmentOverlap:
    segment_ids: list[strawberry.ID]
    union: int
    intersection: int
    jaccard: float = strawberry.field(description="intersection / union (0 when empty).")


def _describe(node: Node) -> dict[str, object]:
    """A leaf condition as plain JSON (its dataclass fields)."""
    return {"kind": type(node).__name__, **{k: v for k, v in asdict(node).items()}}


@strawberry.type(description="A customer's membership of a segment.")
class Membership:
    segment_id: strawberry.ID
    name: str
    since: str


@strawberry.type(description="The segment was saved and evaluated over every customer.")
class SegmentSaved:
    segment: Segment
    entered: int
    exited: int


@strawberry.type(description="The definition is not valid: the path of the bad node and why.")
class SegmentInvalid:
    path: str
    reason: str


@strawberry.type
class SegmentNotFound:
    segment_id: strawberry.ID


@strawberry.type(description="The segment was deleted; its members left it.")
class SegmentDeleted:
    segment_id: strawberry.ID
    exited: int


@strawberry.type(description="Who would be a member now, without saving anything.")
class SegmentPreview:
    count: int
    sample: list[LazyCustomer]


SaveResult = Annotated[SegmentSaved | SegmentInvalid | SegmentNotFound,
                       strawberry.union("SegmentSaveResult")]  # fmt: skip
DeleteResult = Annotated[SegmentDeleted | SegmentNotFound, strawberry.union("SegmentDeleteResult")]
PreviewResult = Annotated[SegmentPreview | SegmentInvalid, strawberry.union("SegmentPreviewResult")]
