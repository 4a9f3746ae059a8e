"""Segment actions, called by the GraphQL mutations (and by the worker's incremental path
through segments.jobs): save and evaluate, delete, each enter and exit published."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from graph.model import now_iso
from graph.repository.segments import Segment, SegmentRepository
from resolvers.identity.operations import ChangePublisher
from segments.definition import parse
from segments.jobs import Changed, membership_changes, refresh


async def save_segment(
    repo: SegmentRepository, producer: ChangePublisher | None, name: str,
    raw: dict[str, Any], traits: list[str], actor: str, segment_id: str | None = None,
) -> tuple[Segment, Changed]:  # fmt: skip
    """Validate, save (a new version when ``segment_id`` is given) and evaluate fully.

    Raises:
        segments.definition.InvalidDefinition: with the path of the bad node.
    """
    definition = parse(raw, traits)
    saved = await repo.save(name, raw, actor, segment_id)
    changed = await refresh(repo, saved.segment_id, definition, datetime.now(UTC))
    if changed and producer is not None:
        await producer.publish_changes(membership_changes(changed, now_iso()))
    [fresh] = await repo.segments([saved.segment_id])
    return fresh, changed


async def delete_segment(
    repo: SegmentRepository, producer: ChangePublisher | None, segment_id: str
) -> Changed | None:
    exited = await repo.delete(segment_id)
    if exited is None:
        return None
    changed = Changed(segment_id, (), tuple(exited))
    if changed and producer is not None:
        await producer.publish_changes(membership_changes(changed, now_iso()))
    return changed
