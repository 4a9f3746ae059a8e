"""``segmentMembershipChanged(segmentId)``: each customer entering or leaving a segment, as
the workers' segment follower decides it (``segment.entered`` / ``segment.exited`` on
``cdp.changes``, broadcast to every API process over Redis by :mod:`api.invalidation`)."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from enum import Enum

import strawberry
from graphql import GraphQLError

from resolvers.context import Info


@strawberry.enum
class MembershipKind(Enum):
    ENTERED = "entered"
    EXITED = "exited"


@strawberry.type(description="A customer entered or left a segment.")
class MembershipChanged:
    segment_id: strawberry.ID
    customer_id: strawberry.ID
    kind: MembershipKind
    at: str


@strawberry.type
class SegmentSubscriptions:
    @strawberry.subscription(
        description="Every enter and exit of the segment, as the workers decide them."
    )
    async def segment_membership_changed(
        self, info: Info, segment_id: strawberry.ID
    ) -> AsyncGenerator[MembershipChanged, None]:
        sid = str(segment_id)
        with info.context.hub.watch() as watch:
            watch.add({f"segment:{sid}"})  # before the check: nothing after it is missed
            if not await info.context.segments.segments([sid]):
                raise GraphQLError(f"no segment {sid}", extensions={"code": "NOT_FOUND"})
            while True:
                m = await watch.queue.get()
                if isinstance(m, dict):
                    yield MembershipChanged(
                        segment_id=strawberry.ID(sid), customer_id=strawberry.ID(m["customer_id"]),
                        kind=MembershipKind(m["kind"]), at=m["at"],
                    )  # fmt: skip
