"""Segment queries and mutations (createSegment, updateSegment, deleteSegment,
previewSegment): the marketing tool's way in."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

import strawberry
from strawberry.scalars import JSON

from resolvers.context import Info
from resolvers.customer.types import customers_of
from resolvers.pagination import bad_input
from resolvers.segments.operations import delete_segment, save_segment
from resolvers.segments.types import (
    DeleteResult,
    PreviewResult,
    SaveResult,
    Segment,
    SegmentDeleted,
    SegmentInvalid,
    SegmentNotFound,
    SegmentOverlap,
    SegmentPreview,
    SegmentSaved,
)
from segments.definition import InvalidDefinition, parse
from segments.jobs import preview

SAMPLE = 10


@strawberry.type
class SegmentQueries:
    @strawberry.field(description="A segment by id (null when there is none or it was deleted).")
    async def segment(self, info: Info, id: strawberry.ID) -> Segment | None:
        found = await info.context.segments.segments([str(id)])
        return Segment.from_stored(found[0]) if found else None

    @strawberry.field(description="Customers in any and in all of two or more segments.")
    async def segment_overlap(self, info: Info, ids: list[strawberry.ID]) -> SegmentOverlap:
        wanted = sorted({str(i) for i in ids})
        if not 2 <= len(wanted) <= 20:
            raise bad_input("ids must name 2 to 20 different segments")
        union, intersection = await info.context.segments.overlap(wanted)
        return SegmentOverlap(segment_ids=[strawberry.ID(i) for i in wanted], union=union,
                              intersection=intersection,
                              jaccard=intersection / union if union else 0.0)  # fmt: skip

    @strawberry.field(description="Every segment, by name.")
    async def segments(self, info: Info) -> list[Segment]:
        return [Segment.from_stored(s) for s in await info.context.segments.segments()]


def _traits(info: Info) -> list[str]:
    return [t.name for t in info.context.traits] + list(info.context.predicted)


def _raw(definition: Any) -> dict[str, Any] | SegmentInvalid:
    if not isinstance(definition, dict):
        return SegmentInvalid(path="definition", reason="expected an object")
    return definition


@strawberry.type
class SegmentMutations:
    @strawberry.mutation(description="Save a new segment and evaluate it over every customer.")
    async def create_segment(self, info: Info, name: str, definition: JSON) -> SaveResult:
        raw = _raw(definition)
        if isinstance(raw, SegmentInvalid):
            return raw
        if not name.strip():
            return SegmentInvalid(path="name", reason="expected a non-empty name")
        try:
            saved, changed = await save_segment(
                info.context.segments, info.context.changes, name.strip(), raw, _traits(info),
                info.context.actor,
            )  # fmt: skip
        except InvalidDefinition as err:
            return SegmentInvalid(path=err.path, reason=err.reason)
        return SegmentSaved(segment=Segment.from_stored(saved), entered=len(changed.entered),
                            exited=len(changed.exited))  # fmt: skip

    @strawberry.mutation(description="A new version of a segment (members follow at once).")
    async def update_segment(
        self, info: Info, id: strawberry.ID, definition: JSON, name: str | None = None
    ) -> SaveResult:
        found = await info.context.segments.segments([str(id)])
        if not found:
            return SegmentNotFound(segment_id=id)
        raw = _raw(definition)
        if isinstance(raw, SegmentInvalid):
            return raw
        try:
            saved, changed = await save_segment(
                info.context.segments, info.context.changes, (name or found[0].name).strip(),
                raw, _traits(info), info.context.actor, segment_id=str(id),
            )  # fmt: skip
        except InvalidDefinition as err:
            return SegmentInvalid(path=err.path, reason=err.reason)
        return SegmentSaved(segment=Segment.from_stored(saved), entered=len(changed.entered),
                            exited=len(changed.exited))  # fmt: skip

    @strawberry.mutation(description="Delete a segment: every member leaves it.")
    async def delete_segment(self, info: Info, id: strawberry.ID) -> DeleteResult:
        changed = await delete_segment(info.context.segments, info.context.changes, str(id))
        if changed is None:
            return SegmentNotFound(segment_id=id)
        return SegmentDeleted(segment_id=id, exited=len(changed.exited))

    @strawberry.mutation(description="Who would be a member (a count and a sample), unsaved.")
    async def preview_segment(self, info: Info, definition: JSON) -> PreviewResult:
        raw = _raw(definition)
        if isinstance(raw, SegmentInvalid):
            return raw
        try:
            parsed = parse(raw, _traits(info))
        except InvalidDefinition as err:
            return SegmentInvalid(path=err.path, reason=err.reason)
        members = sorted(await preview(info.context.segments, parsed, datetime.now(UTC)))
        sample = random.Random(len(members)).sample(members, min(SAMPLE, len(members)))
        return SegmentPreview(count=len(members), sample=await customers_of(info, sorted(sample)))
