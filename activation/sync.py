"""One sync of an activation (a segment to a destination): take the lease, send the deltas
since the cursor in batches (a new activation first sends the audience it starts with),
retry a failing batch with backoff and jitter under the destination's rate limit, dead-letter
a batch that still fails, move the cursor, record a SyncRun and release the lease.

Deliveries are at least once: a crash after sending and before the cursor moved sends the
batch again under the same delivery id, which receivers use to drop the repeat.

Consent: a destination serves a purpose (``marketing`` unless it names another). An enter
delta goes out only when the customer's consent for that purpose allows it at the time of
the sync (privacy.consent.allows; the store's reads say so per customer); the others are
withheld and counted on the SyncRun. Exits always go out: telling a destination to drop
someone never needs consent. When a member's consent for the purpose changes (an event, a
preference centre), the next sync sends them again: an enter when it now allows the purpose,
an exit when it no longer does (a destination may so get an exit for someone it never had;
exits are idempotent). The activation's consent cursor is the last change considered.
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
DEFAULT_PURPOSE = "marketing"  # the consent purpose of a destination that names none


@dataclass(frozen=True)
class Claim:
    mode: str
    fields: tuple[str, ...]
    cursor: int
    initial: bool
    destination: Destination
    seq: int  # the segment's last change when the lease was taken
    consent_cursor: str  # the last consent change considered (its recorded_at)
    consent_upto: str  # consent changes up to this one are settled


class ActivationStore(Protocol):
    """graph.repository.ActivationRepository: rows as the activation queries return them."""

    async def claim(self, segment_id: str, destination_id: str, owner: str,
                    lease_seconds: int) -> dict[str, Any] | None: ...  # fmt: skip

    async def audience(self, segment_id: str, after: str, limit: int,
                       purpose: str) -> list[dict[str, Any]]: ...  # fmt: skip

    async def pending(self, segment_id: str, cursor: int, upto: int, limit: int,
                      purpose: str) -> list[dict[str, Any]]: ...  # fmt: skip

    async def consent_changes(self, segment_id: str, purpose: str, since: str,
                              upto: str) -> list[dict[str, Any]]: ...  # fmt: skip

    async def finish(self, segment_id: str, destination_id: str, owner: str,
                     run: dict[str, Any], cursor: int, initial_done: bool,
                     consent_cursor: str) -> None: ...  # fmt: skip


@dataclass
class SyncRun:
    sync_id: str
    mode: str
    started_at: str
    entered: int = 0
    exited: int = 0
    failed: int = 0
    withheld: int = 0  # enter deltas not sent: the customer's consent does not allow it
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
                  Destination.from_row(row["destination"]), int(row["seq"]),
                  str(a["consent_cursor"]), str(row["consent_upto"]))  # fmt: skip
    d = claim.destination
    run = SyncRun(f"sync_{uuid.uuid4().hex[:16]}", mode or claim.mode, now())
    bucket = (buckets if buckets is not None else {}).setdefault(
        d.destination_id, TokenBucket(d.rate_limit, burst=max(1.0, d.rate_limit))
    )
    cursor, batches = claim.cursor, 0
    purpose = d.purpose or DEFAULT_PURPOSE
    consent_cursor = claim.consent_cursor
    if claim.initial:  # the starting audience is read with today's consent
        consent_cursor = max(consent_cursor, claim.consent_upto)

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
            while members := await store.audience(segment_id, after, BATCH, purpose):
                deltas = [Delta(0, "enter", m["customer_id"], run.started_at,
                                choose(m["customer"], claim.fields, d.hash_identifiers))
                          for m in members if m["allowed"]]  # fmt: skip
                run.withheld += len(members) - len(deltas)
                if deltas:
                    await send(deltas, f"{destination_id}:{segment_id}:initial:{after or '-'}")
                after = members[-1]["customer_id"]
        while batches < MAX_BATCHES:
            rows = await store.pending(segment_id, cursor, claim.seq, BATCH, purpose)
            if not rows:
                break
            deltas = [Delta(r["seq"], r["kind"], r["customer_id"], r["at"],
                            choose(r["customer"], claim.fields, d.hash_identifiers)
                            if r["kind"] == "enter" else {})
                      for r in rows if r["kind"] == "exit" or r["allowed"]]  # fmt: skip
            run.withheld += len(rows) - len(deltas)
            if deltas:
                first, last = deltas[0].seq, deltas[-1].seq
                await send(deltas, f"{destination_id}:{segment_id}:{first}-{last}")
            cursor, batches = rows[-1]["seq"], batches + 1
        if claim.consent_upto > consent_cursor:
            changed = await store.consent_changes(segment_id, purpose, consent_cursor,
                                                  claim.consent_upto)  # fmt: skip
            for i in range(0, len(changed), BATCH):
                part = changed[i : i + BATCH]
                deltas = [Delta(0, "enter" if c["allowed"] else "exit", c["customer_id"],
                                c["recorded_at"], choose(c["customer"], claim.fields,
                                                         d.hash_identifiers)
                                if c["allowed"] else {})
                          for c in part]  # fmt: skip
                first, last = part[0]["recorded_at"], part[-1]["customer_id"]
                await send(deltas, f"{destination_id}:{segment_id}:consent:{first}:{last}")
            consent_cursor = claim.consent_upto
    finally:
        await store.finish(segment_id, destination_id, owner, asdict(run), cursor, claim.initial,
                           consent_cursor)  # fmt: skip
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
