"""One sync of an activation (a segment to a destination): take the lease, send the deltas
since the cursor in batches (a new activation first sends the audience it starts with),
retry a failing batch with backoff and jitter under the destination's rate limit, dead-letter
a batch that still fails, move the cursor, record a SyncRun and release the lease.

Deliveries are at least once: a crash after sending and before the cursor moved sends the
batch again under the same delivery id, which receivers use to drop the repeat. Consent is
not filtered here yet: it arrives with the privacy issue.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, Protocol

from activation.delivery import DeliveryError, Senders
from activation.model import Delta, Destination, TokenBucket, backoff, choose

BATCH = 100  # deltas a delivery
MAX_BATCHES = 50  # a sync sends at most this many; the rest goes in the next
LEASE_SECONDS = 300


@dataclass(frozen=True)
class Claim:
    mode: str
    fields: tuple[str, ...]
    cursor: int
    initial: bool
    destination: Destination
    seq: int  # the segment's last change when the lease was taken


class ActivationStore(Protocol):
    """graph.repository.ActivationRepository: rows as the activation queries return them."""

    async def claim(self, segment_id: str, destination_id: str, owner: str,
                    lease_seconds: int) -> dict[str, Any] | None: ...  # fmt: skip

    async def audience(self, segment_id: str, after: str,
                       limit: int) -> list[dict[str, Any]]: ...  # fmt: skip

    async def pending(self, segment_id: str, cursor: int, upto: int,
                      limit: int) -> list[dict[str, Any]]: ...  # fmt: skip

    async def finish(self, segment_id: str, destination_id: str, owner: str,
                     run: dict[str, Any], cursor: int, initial_done: bool) -> None: ...  # fmt: skip


@dataclass
class SyncRun:
    sync_id: str
    mode: str
    started_at: str
    entered: int = 0
    exited: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


DeadLetter = Callable[[Mapping[str, object]], Awaitable[None]]
Sleep = Callable[[float], Awaitable[None]]


async def run_sync(
    store: ActivationStore, senders: Senders, segment_id: str, destination_id: str,
    owner: str, now: Callable[[], str], dead_letter: DeadLetter,
    mode: Literal["realtime", "scheduled", "manual"] | None = None,
    buckets: dict[str, TokenBucket] | None = None, sleep: Sleep = asyncio.sleep,
) -> SyncRun | None:  # fmt: skip
    """Sync the activation once; None when another process holds its lease."""
    row = await store.claim(segment_id, destination_id, owner, LEASE_SECONDS)
    if row is None:
        return None
    a = row["activation"]
    claim = Claim(a["mode"], tuple(a.get("fields") or ()), int(a["cursor"]), bool(a["initial"]),
                  Destination.from_row(row["destination"]), int(row["seq"]))  # fmt: skip
    d = claim.destination
    run = SyncRun(f"sync_{uuid.uuid4().hex[:16]}", mode or claim.mode, now())
    bucket = (buckets if buckets is not None else {}).setdefault(
        d.destination_id, TokenBucket(d.rate_limit, burst=max(1.0, d.rate_limit))
    )
    cursor, batches = claim.cursor, 0

    async def send(deltas: Sequence[Delta], delivery: str) -> None:
        error = await _deliver(senders, d, segment_id, deltas, delivery, bucket, sleep)
        entered = sum(x.kind == "enter" for x in deltas)
        if error is None:
            run.entered += entered
            run.exited += len(deltas) - entered
            return
        run.failed += len(deltas)
        if len(run.errors) < 5:
            run.errors.append(error)
        await dead_letter({
            "stage": "activation", "segment_id": segment_id, "destination_id": d.destination_id,
            "delivery_id": delivery, "error": error, "failed_at": now(),
            "deltas": [x.as_json() for x in deltas],
        })  # fmt: skip

    try:
        if claim.initial:  # the audience the activation starts with, as enter deltas
            cursor, after = claim.seq, ""
            while members := await store.audience(segment_id, after, BATCH):
                deltas = [Delta(0, "enter", m["customer_id"], run.started_at,
                                choose(m["customer"], claim.fields, d.hash_identifiers))
                          for m in members]  # fmt: skip
                await send(deltas, f"{destination_id}:{segment_id}:initial:{after or '-'}")
                after = members[-1]["customer_id"]
        while batches < MAX_BATCHES:
            rows = await store.pending(segment_id, cursor, claim.seq, BATCH)
            if not rows:
                break
            deltas = [Delta(r["seq"], r["kind"], r["customer_id"], r["at"],
                            choose(r["customer"], claim.fields, d.hash_identifiers)
                            if r["kind"] == "enter" else {})
                      for r in rows]  # fmt: skip
            await send(deltas, f"{destination_id}:{segment_id}:{deltas[0].seq}-{deltas[-1].seq}")
            cursor, batches = deltas[-1].seq, batches + 1
    finally:
        await store.finish(segment_id, destination_id, owner, asdict(run), cursor, claim.initial)
    return run


async def _deliver(
    senders: Senders, d: Destination, segment_id: str, deltas: Sequence[Delta], delivery: str,
    bucket: TokenBucket, sleep: Sleep,
) -> str | None:  # fmt: skip
    """None once delivered; the last error after ``max_attempts`` or a permanent one."""
    sender = senders.of(d)
    for attempt in range(1, d.max_attempts + 1):
        if wait := bucket.wait(time.monotonic()):
            await sleep(wait)
        try:
            await sender.send(d, segment_id, deltas, delivery)
            return None
        except DeliveryError as err:
            if err.permanent or attempt == d.max_attempts:
                return f"after {attempt} attempt(s): {err}"
            await sleep(backoff(attempt))
    return None
