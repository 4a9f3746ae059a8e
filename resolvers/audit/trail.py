"""What one request touched (``Access``), and the batched writer of audit entries
(``AuditLog``): a request only appends to a buffer; a background task writes the buffer to the
graph every ``interval`` seconds in one UNWIND, so no read waits for a Neo4j write."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from graph.repository.access import encode_entry

logger = logging.getLogger(__name__)

AuditKind = Literal["mutation", "pii_read", "forbidden"]


@dataclass
class Access:
    """The root fields one request called, the PII fields it read, and the customers."""

    calls: list[str] = field(default_factory=list)
    pii_fields: set[str] = field(default_factory=set)
    denied: list[str] = field(default_factory=list)
    customer_ids: set[str] = field(default_factory=set)

    def call(self, coordinate: str, customer_ids: Iterable[str] = ()) -> None:
        self.calls.append(coordinate)
        self.customer_ids.update(customer_ids)

    def deny(self, coordinate: str) -> None:
        self.denied.append(coordinate)

    def read_pii(self, coordinate: str, customer_ids: Iterable[str]) -> None:
        self.pii_fields.add(coordinate)
        self.customer_ids.update(customer_ids)

    def kind(self, mutation: bool) -> AuditKind | None:
        """What the request is audited as (None: not audited)."""
        if mutation and self.calls:
            return "mutation"
        if self.pii_fields:
            return "pii_read"
        if self.denied:
            return "forbidden"
        return None


def audit_row(
    access: Access, kind: AuditKind, actor: str, role: str, operation: str, at: str
) -> dict[str, Any]:
    """The graph row of one audit entry (no values: field names and customer ids only)."""
    return {
        "entry_id": f"aud_{uuid.uuid4().hex}",
        "at": at,
        "actor": actor,
        "role": role,
        "operation": operation,
        "kind": kind,
        "fields": [*access.calls, *sorted(access.pii_fields), *access.denied],
        "customer_ids": sorted(access.customer_ids),
    }


class AuditStore(Protocol):
    async def write(
        self, rows: Sequence[dict[str, Any]], encoded: Sequence[str] | None = None
    ) -> int: ...


class AuditLog:
    """Buffers audit rows and writes them in batches (at most ``batch`` a transaction).

    A failed write keeps its rows for the next flush (at most ``limit`` rows are kept; beyond
    that the oldest are dropped, and the drop is logged as an error).

    Each row is kept with its JSON (what its batch stores), encoded when it is recorded, so a
    flush does not encode a thousand rows at once (about 6 ms with the API's event loop held;
    bench/README.md, session 15).
    """

    def __init__(
        self, store: AuditStore, interval: float = 0.2, batch: int = 1000, limit: int = 100_000
    ) -> None:
        self._store = store
        self._interval = interval
        self._batch = batch
        self._limit = limit
        self._rows: list[tuple[dict[str, Any], str]] = []  # (row, its JSON)
        self._wake = asyncio.Event()

    def record(self, row: dict[str, Any]) -> None:
        self._rows.append((row, encode_entry(row)))
        if len(self._rows) > self._limit:
            dropped = len(self._rows) - self._limit
            del self._rows[:dropped]
            logger.error("audit log: %d entries dropped (the graph is not taking writes)", dropped)
        if len(self._rows) >= self._batch:
            self._wake.set()

    @property
    def pending(self) -> int:
        return len(self._rows)

    async def flush(self) -> int:
        """Write what is buffered now; returns how many rows were written.

        Rows recorded while it writes wait for the next flush: draining until the buffer is
        empty kept a steady stream of reads (1,800 a second) in a loop of back-to-back
        transactions of about 30 entries each, instead of one of about 360 every interval.
        """
        written = 0
        taken, self._rows = self._rows, []
        while taken:
            chunk, taken = taken[: self._batch], taken[self._batch :]
            rows, encoded = [r for r, _ in chunk], [text for _, text in chunk]
            try:
                written += await self._store.write(rows, encoded)
            except asyncio.CancelledError:  # stopping mid-write: the final flush retries
                self._rows[:0] = chunk + taken
                raise
            except Exception:
                self._rows[:0] = chunk + taken
                logger.exception("audit log: writing %d entries failed; kept for retry", len(chunk))
                break
        return written

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._interval)
            self._wake.clear()
            await self.flush()

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[AuditLog]:
        """Flush in the background while the block runs, and once more at its end."""
        task = asyncio.create_task(self._run(), name="audit-log")
        try:
            yield self
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await self.flush()
