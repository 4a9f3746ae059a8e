"""Real-time segment membership: every change on ``cdp.changes`` re-evaluates the segments it
can touch, for the customers it names; windows of days are re-evaluated on a timer.

Runs inside each worker process, as one consumer group on ``cdp.changes``
(``GRAPHCDP_SEGMENT_GROUP``): each change is evaluated once, by the worker that owns its
partition, in batches (one Cypher query per segment and batch, for all the batch's
customers). Which segments a change touches:

- ``customer.created``, ``customer.updated``, ``customer.merged``, ``customer.split``: every
  segment (records, events, traits, devices and groups can all change with them), except
  that a change of events only (no record) skips segments that read golden attributes only;
- ``segment.entered`` / ``segment.exited`` of segment S: the segments that read S
  (``inSegment``, ``sharesWith``), for that customer (a device or household neighbour of the
  customer is caught by the timed full evaluation).

Every enter and exit is written as a MembershipChange and published back to ``cdp.changes``
as ``segment.entered`` / ``segment.exited`` (keyed by customer id). Offsets are committed
after the writes and the publishing: a crash re-evaluates, which changes nothing twice
(membership writes are idempotent). Every ``GRAPHCDP_SEGMENT_REFRESH_SECONDS`` the segments
with a window of days (and those with ``sharesWith`` or ``near``) are evaluated in full, so
someone leaves "active in the last 7 days" when the window passes; the worker that owns
partition 0 of ``cdp.changes`` does it, so several workers do not repeat it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import CommitFailedError, IllegalStateError, KafkaError
from neo4j.exceptions import Neo4jError

from graph.driver import UNAVAILABLE
from graph.model import now_iso
from graph.repository.segments import SegmentRepository
from graphcdp.settings import Settings
from graphcdp.tasks import running
from ingest.producer import changes_consumer
from segments.definition import (
    All,
    AnyOf,
    Definition,
    InvalidDefinition,
    Near,
    Not,
    Property,
    SharesWith,
    parse,
    walk,
)
from segments.jobs import Changed, membership_changes, memberships, refresh

log = logging.getLogger(__name__)


class Publisher(Protocol):
    async def publish_changes(self, changes: Sequence[tuple[str, dict[str, Any]]]) -> None: ...


def attributes_only(definition: Definition) -> bool:
    """Whether the segment reads golden attributes only (events cannot change it)."""
    return all((isinstance(n, Property) and n.kind == "attribute") or not _leaf(n)
               for n in walk(definition.rule))  # fmt: skip


def needs_timer(definition: Definition) -> bool:
    """Whether time or neighbours can change members without a change to the customer."""
    return definition.windowed() or any(
        isinstance(n, SharesWith | Near) for n in walk(definition.rule)
    )


def _leaf(node: object) -> bool:
    return not isinstance(node, All | AnyOf | Not)


def plan(changes: Sequence[object], definitions: dict[str, Definition]) -> dict[str, set[str]]:
    """segment id -> the customers to evaluate it for, for a batch of change messages."""
    todo: dict[str, set[str]] = {}
    for change in changes:
        if not isinstance(change, dict):
            continue
        kind, customer = change.get("type"), change.get("customer_id")
        if not isinstance(customer, str) or not isinstance(kind, str):
            continue
        if kind == "customer.erased":  # gone with its memberships: nothing to evaluate
            continue
        ids = {customer} | {str(change[k]) for k in ("merged",) if isinstance(change.get(k), str)}
        if kind.startswith("segment."):
            source = change.get("segment_id")
            for sid, d in definitions.items():
                if source in d.segments_used():
                    todo.setdefault(sid, set()).update(ids)
            continue
        events_only = kind == "customer.updated" and not change.get("records")
        for sid, d in definitions.items():
            if events_only and attributes_only(d):
                continue
            todo.setdefault(sid, set()).update(ids)
    return todo


async def evaluate_batch(
    repo: SegmentRepository, producer: Publisher, changes: Sequence[dict[str, Any]],
    now: datetime,
) -> list[Changed]:  # fmt: skip
    """Re-evaluate what a batch of changes touches; publish every enter and exit."""
    definitions = await _definitions(repo)
    done: list[Changed] = []
    todo = plan(changes, definitions)
    # The memberships of every customer the batch touches, read once for all its segments.
    member_of = await memberships(repo, sorted(set().union(*todo.values()))) if todo else {}
    for sid, ids in sorted(todo.items()):
        current = {c for c in ids if sid in member_of.get(c, ())}
        changed = await refresh(repo, sid, definitions[sid], now, sorted(ids), current)
        if changed:
            done.append(changed)
    out = [m for c in done for m in membership_changes(c, now_iso())]
    if out:
        await producer.publish_changes(out)
    return done


async def refresh_timed(repo: SegmentRepository, producer: Publisher, now: datetime) -> int:
    """Full evaluation of the segments time or neighbours can change; enters and exits."""
    moved = 0
    for segment_id, definition in (await _definitions(repo)).items():
        if needs_timer(definition):
            changed = await refresh(repo, segment_id, definition, now)
            if changed:
                moved += len(changed.entered) + len(changed.exited)
                await producer.publish_changes(membership_changes(changed, now_iso()))
    return moved


async def _definitions(repo: SegmentRepository) -> dict[str, Definition]:
    """Every segment's definition; one stored by hand that no longer parses is skipped (and
    logged) rather than stopping the others."""
    out: dict[str, Definition] = {}
    for segment in await repo.segments():
        try:
            out[segment.segment_id] = parse(segment.definition)
        except InvalidDefinition as err:
            log.warning("segment %s: stored definition is invalid (%s); skipped",
                        segment.segment_id, err)  # fmt: skip
    return out


@contextlib.asynccontextmanager
async def follow_segments(
    settings: Settings,
    repo: SegmentRepository,
    producer: Publisher,
    on_moved: Callable[[], None] = lambda: None,
) -> AsyncIterator[None]:
    """Run the follower while the block runs; ``on_moved`` is called once enters or exits are
    written (the worker wakes its activation loop with it)."""
    consumer = changes_consumer(settings, settings.segment_group)
    consumer.subscribe([settings.topics.changes])
    await consumer.start()
    try:
        async with running(_run(consumer, repo, producer, settings, on_moved), "segments"):
            yield
    finally:
        await consumer.stop()


def _leader(consumer: AIOKafkaConsumer, topic: str) -> bool:
    """Whether this worker owns partition 0 of the changes: the one that runs the timed full
    evaluation, so several workers do not all repeat it."""
    return TopicPartition(topic, 0) in consumer.assignment()


async def _run(
    consumer: AIOKafkaConsumer,
    repo: SegmentRepository,
    producer: Publisher,
    settings: Settings,
    on_moved: Callable[[], None],
) -> None:
    timed_at = time.monotonic() + settings.segment_refresh_seconds
    while True:
        batches = await consumer.getmany(timeout_ms=100, max_records=500)
        changes = []
        for messages in batches.values():
            for message in messages:
                try:
                    change = json.loads(message.value)
                except (ValueError, TypeError):
                    continue
                if isinstance(change, dict):
                    changes.append(change)
        wait = 0.5
        while True:  # transient failures: the batch is evaluated again (idempotent)
            try:
                if changes and await evaluate_batch(repo, producer, changes, datetime.now(UTC)):
                    on_moved()
                if time.monotonic() >= timed_at and _leader(consumer, settings.topics.changes):
                    moved = await refresh_timed(repo, producer, datetime.now(UTC))
                    timed_at = time.monotonic() + settings.segment_refresh_seconds
                    if moved:
                        on_moved()
                        log.info("timed segment evaluation moved %d memberships", moved)
                if batches:
                    await consumer.commit()
                break
            except (CommitFailedError, IllegalStateError) as err:
                # The partitions moved mid-batch: their new owner evaluates it again.
                log.warning("segments: commit after rebalance failed (%s)", err)
                break
            except (Neo4jError, *UNAVAILABLE, KafkaError, OSError) as err:
                log.warning("segment evaluation failed (%s); again in %.1f s", err, wait)
                await asyncio.sleep(wait)
                wait = min(wait * 2, 10.0)
