"""GraphQL types of segments: definitions with versions, members, previews, errors."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.scalars import JSON

from graph.repository.segments import Segment as Stored
from resolvers.context import Info
from resolvers.customer.connections import CustomerConnection, CustomerEdge
from resolvers.pagination import PageInfo, cursor, page_size, uncursor

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
        from resolvers.customer.types import customers_of

        limit = page_size(first)
        start = uncursor(after, 1)[0] if after else ""
        ids, total = await info.context.segments.members(str(self.id), start, limit + 1)
        nodes = await customers_of(info, ids[:limit])
        edges = [CustomerEdge(cursor=cursor(str(c.id)), node=c) for c in nodes]
        return CustomerConnection(
            edges=edges, total_count=total,
            page_info=PageInfo(has_next_page=len(ids) > limit,
                               end_cursor=edges[-1].cursor if edges else None),
        )  # fmt: skip

    @classmethod
    def from_stored(cls, s: Stored) -> Segment:
        return cls(id=strawberry.ID(s.segment_id), name=s.name, version=s.version,
                   definition=JSON(s.definition), created_at=s.created_at,
                   updated_at=s.updated_at, member_count=s.members)  # fmt: skip


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
