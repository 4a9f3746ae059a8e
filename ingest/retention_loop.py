"""The scheduled retention job in the workers: every ``retention_interval_seconds``, the one
worker that claims the job (event.claim_retention: a lease in the graph, so several workers
never prune at once) deletes the events past their retention (privacy.retention) and the audit
entries older than ``audit_retention_days`` (0: kept), in batches, and records when it ran.
The first look is a few seconds after the worker starts."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from neo4j.exceptions import Neo4jError

from graph.driver import UNAVAILABLE
from graph.model import iso_utc
from graph.repository import AuditRepository, EventRepository
from graphcdp.tasks import running
from ingest.activation_loop import owner_name
from privacy.retention import Retention

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=30)  # longer than any prune; released when it ends
FIRST_LOOK = 5.0  # seconds after start
# Neo4j down or failing: the job is tried again at the next interval.
_PASSING: tuple[type[Exception], ...] = (Neo4jError, OSError, *UNAVAILABLE)


@dataclass(frozen=True)
class AuditRetention:
    """The audit log and how many days its entries are kept (0: forever)."""

    log: AuditRepository
    days: int


@contextlib.asynccontextmanager
async def follow_retention(
    events: EventRepository, retention: Retention, interval: float,
    audit: AuditRetention | None = None,
) -> AsyncIterator[None]:  # fmt: skip
    async with running(_run(events, retention, interval, audit), "retention"):
        yield


async def prune_once(
    events: EventRepository, retention: Retention, interval: float,
    audit: AuditRetention | None = None,
) -> int | None:  # fmt: skip
    """Prune when the job is due and this process claims it; None when it was not its turn,
    else the events deleted (the audit entries deleted are logged)."""
    owner, now = owner_name(), datetime.now(UTC)
    due_before = iso_utc(now - timedelta(seconds=interval))
    if not await events.claim_retention(owner, due_before, iso_utc(now + LEASE)):
        return None
    deleted = 0
    try:
        deleted = await events.prune(retention.query_params(now))
        if audit is not None and audit.days > 0:
            entries = await audit.log.prune(iso_utc(now - timedelta(days=audit.days)))
            if entries:
                log.info("retention: deleted %d audit entries older than %d days", entries,
                         audit.days)  # fmt: skip
    finally:
        await events.finish_retention(owner, deleted)
    return deleted


async def _run(
    events: EventRepository, retention: Retention, interval: float, audit: AuditRetention | None
) -> None:
    await asyncio.sleep(min(FIRST_LOOK, interval))
    while True:
        try:
            deleted = await prune_once(events, retention, interval, audit)
            if deleted is not None:
                log.info("retention: deleted %d events past their retention", deleted)
        except _PASSING as err:
            log.warning("retention: %s; trying again at the next interval", err)
        await asyncio.sleep(min(interval, 60.0))  # look often; the claim says when it is due
