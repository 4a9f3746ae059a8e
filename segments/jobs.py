"""Evaluating segments against a store (graph.repository.SegmentRepository behind a Protocol):
full evaluation of a new or changed segment, incremental evaluation for the customers a change
touched, and which segments a change can touch at all."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from segments.compile import BLOCKS, combine, compile_definition, compile_leaves
from segments.definition import Definition, Node


class SegmentStore(Protocol):
    def blocks(self, names: Sequence[str]) -> dict[str, str]: ...

    async def evaluate(
        self, condition: str, params: dict[str, object], ids: Sequence[str] | None = None
    ) -> set[str]: ...

    async def apply(
        self,
        segment_id: str,
        holds: set[str],
        ids: Sequence[str] | None = None,
        current: set[str] | None = None,
    ) -> tuple[list[str], list[str]]: ...

    async def segments_of(self, ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]: ...

    async def check(
        self, customer_id: str, conditions: str, params: dict[str, object]
    ) -> list[bool] | None: ...


@dataclass(frozen=True)
class Changed:
    """Who entered and who left a segment in one evaluation."""

    segment_id: str
    entered: tuple[str, ...]
    exited: tuple[str, ...]

    def __bool__(self) -> bool:
        return bool(self.entered or self.exited)


@dataclass(frozen=True)
class Why:
    """Whether the definition holds for a customer now, and each leaf condition's answer."""

    holds: bool
    leaves: tuple[tuple[str, Node, bool], ...]  # (path, condition, holds)


async def why(
    store: SegmentStore, definition: Definition, customer_id: str, now: datetime
) -> Why | None:
    """Which conditions hold for the customer (one query for all of them); None when there is
    no such customer."""
    leaves, compiled = compile_leaves(definition, store.blocks(BLOCKS), now)
    answers = await store.check(customer_id, compiled.condition, compiled.params)
    if answers is None:
        return None
    by_path = {path: answer for (path, _), answer in zip(leaves, answers, strict=True)}
    return Why(combine(definition.rule, by_path),
               tuple((p, n, by_path[p]) for p, n in leaves))  # fmt: skip


async def preview(store: SegmentStore, definition: Definition, now: datetime) -> set[str]:
    """Who would be a member now (nothing is written)."""
    compiled = compile_definition(definition, store.blocks(BLOCKS), now)
    return await store.evaluate(compiled.condition, compiled.params)


async def refresh(
    store: SegmentStore, segment_id: str, definition: Definition, now: datetime,
    ids: Sequence[str] | None = None, current: set[str] | None = None,
) -> Changed:  # fmt: skip
    """Evaluate the segment (for every customer, or for ``ids`` only) and write the changes.
    ``current``: which of ``ids`` are members now, when the caller has read it already."""
    compiled = compile_definition(definition, store.blocks(BLOCKS), now)
    holds = await store.evaluate(compiled.condition, compiled.params, ids)
    entered, exited = await store.apply(segment_id, holds, ids, current)
    return Changed(segment_id, tuple(entered), tuple(exited))


async def memberships(store: SegmentStore, ids: Sequence[str]) -> dict[str, set[str]]:
    """customer id -> the segments it is a member of, for ``ids`` (one read)."""
    return {
        c: {s["segment_id"] for s in segs} for c, segs in (await store.segments_of(ids)).items()
    }


def in_order(definitions: dict[str, Definition]) -> list[str]:
    """Segment ids so that a segment comes after those it reads (inSegment, sharesWith);
    a cycle is broken arbitrarily (such segments settle over later evaluations)."""
    done: list[str] = []
    seen: set[str] = set()

    def visit(sid: str, path: frozenset[str]) -> None:
        if sid in seen or sid in path or sid not in definitions:
            return
        for used in sorted(definitions[sid].segments_used()):
            visit(used, path | {sid})
        seen.add(sid)
        done.append(sid)

    for sid in sorted(definitions):
        visit(sid, frozenset())
    return done


def touched(definition: Definition, event_names: Iterable[str], profile_changed: bool) -> bool:
    """Whether a change can alter this segment's members: events of a name it reads, or a
    change of a profile (attributes, traits, identity, devices, groups, memberships) when the
    segment reads more than events."""
    names = definition.event_names()
    if names & set(event_names):
        return True
    return profile_changed


def membership_changes(changed: Changed, at: str) -> list[tuple[str, dict[str, object]]]:
    """``segment.entered`` / ``segment.exited`` change messages, keyed by customer id."""
    out: list[tuple[str, dict[str, object]]] = []
    for kind, ids in (("segment.entered", changed.entered), ("segment.exited", changed.exited)):
        out += [(c, {"type": kind, "customer_id": c, "segment_id": changed.segment_id, "at": at})
                for c in ids]  # fmt: skip
    return out
