"""Destinations, activations (``(Segment)-[:ACTIVATED_TO]->(Destination)``) with their
cursor and lease, the deltas to send, and SyncRuns (activation.sync is the orchestration)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from neo4j import AsyncDriver, RoutingControl

from graph.cypher import q
from graph.model import now_iso

# Consent changes are read up to this long before a sync (or the due check) starts, so one
# committed after a read never falls behind the consent cursor.
CONSENT_SETTLE = timedelta(seconds=2)


def _iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


class ActivationRepository:
    """``opt_in``: the consent purposes that need an explicit grant (privacy.consent.allows);
    the audience and delta reads say of each customer whether its consent allows a send."""

    def __init__(
        self, driver: AsyncDriver, database: str, opt_in: frozenset[str] = frozenset()
    ) -> None:
        self._driver, self._database, self._opt_in = driver, database, opt_in

    async def save_destination(
        self, name: str, kind: str, config: dict[str, str], secret: str | None,
        purpose: str | None, hash_identifiers: bool, rate_limit: float, max_attempts: int,
    ) -> dict[str, Any]:  # fmt: skip
        rows = await self._run(
            "activation.put_destination", destination_id=f"dst_{uuid.uuid4().hex[:16]}",
            name=name, kind=kind, config=json.dumps(config, sort_keys=True), secret=secret,
            purpose=purpose, hash_identifiers=hash_identifiers, rate_limit=rate_limit,
            max_attempts=max_attempts, now=now_iso(),
        )  # fmt: skip
        return dict(rows[0]["destination"])

    async def destinations(
        self, ids: Sequence[str] | None = None, with_secret: bool = False
    ) -> list[dict[str, Any]]:
        """Destinations by name; their secrets only ``with_secret`` (to sign, never to show)."""
        rows = await self._run("activation.get_destinations", read=True, with_secret=with_secret,
                               ids=list(ids) if ids is not None else None)  # fmt: skip
        return [dict(d) for d in rows[0]["destinations"]] if rows else []

    async def activate(
        self, segment_id: str, destination_id: str, mode: str, fields: Sequence[str],
        schedule_seconds: int | None,
    ) -> dict[str, Any] | None:  # fmt: skip
        rows = await self._run(
            "activation.activate_segment", segment_id=segment_id, destination_id=destination_id,
            mode=mode, fields=list(fields), schedule_seconds=schedule_seconds, now=now_iso(),
        )  # fmt: skip
        return dict(rows[0]["activation"]) if rows else None

    async def due(self) -> list[tuple[str, str]]:
        """Activations with something to send and no lease held: (segment, destination).
        A scheduled activation is due ``schedule_seconds`` after its last sync."""
        now = datetime.now(UTC)
        rows = await self._run("activation.due_activations", read=True, now=_iso(now),
                               settled=_iso(now - CONSENT_SETTLE))  # fmt: skip
        return [(s, d) for s, d in rows[0]["due"]] if rows else []

    async def claim(
        self, segment_id: str, destination_id: str, owner: str, lease_seconds: int
    ) -> dict[str, Any] | None:
        now = datetime.now(UTC)
        rows = await self._run(
            "activation.claim_activation", segment_id=segment_id, destination_id=destination_id,
            owner=owner, now=_iso(now), until=_iso(now + timedelta(seconds=lease_seconds)),
        )  # fmt: skip
        if not rows:
            return None
        return {**rows[0], "consent_upto": _iso(now - CONSENT_SETTLE)}

    async def consent_changes(
        self, segment_id: str, purpose: str, since: str, upto: str
    ) -> list[dict[str, Any]]:
        rows = await self._run("activation.consent_deltas", read=True, segment_id=segment_id,
                               purpose=purpose, since=since, upto=upto,
                               opt_in=purpose in self._opt_in, now=now_iso())  # fmt: skip
        return [dict(c) for c in rows[0]["changes"]] if rows else []

    async def audience(
        self, segment_id: str, after: str, limit: int, purpose: str
    ) -> list[dict[str, Any]]:
        rows = await self._run("activation.initial_audience", read=True, segment_id=segment_id,
                               after=after, limit=limit, purpose=purpose,
                               opt_in=purpose in self._opt_in, now=now_iso())  # fmt: skip
        return [dict(m) for m in rows[0]["members"]] if rows else []

    async def pending(
        self, segment_id: str, cursor: int, upto: int, limit: int, purpose: str
    ) -> list[dict[str, Any]]:
        rows = await self._run("activation.pending_deltas", read=True, segment_id=segment_id,
                               cursor=cursor, upto=upto, limit=limit, purpose=purpose,
                               opt_in=purpose in self._opt_in, now=now_iso())  # fmt: skip
        return [dict(d) for d in rows[0]["deltas"]] if rows else []

    async def finish(
        self, segment_id: str, destination_id: str, owner: str, run: dict[str, Any],
        cursor: int, initial_done: bool, consent_cursor: str,
    ) -> None:  # fmt: skip
        await self._run(
            "activation.finish_sync", segment_id=segment_id, destination_id=destination_id,
            owner=owner, cursor=cursor, initial_done=initial_done, sync_id=run["sync_id"],
            consent_cursor=consent_cursor,
            mode=run["mode"], started_at=run["started_at"], entered=run["entered"],
            exited=run["exited"], failed=run["failed"], withheld=run["withheld"],
            errors=list(run["errors"]),
            now=now_iso(),
        )  # fmt: skip

    async def runs(
        self, segment_id: str, first: int
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """(SyncRuns newest first, the segment's activations)."""
        rows = await self._run("activation.list_sync_runs", read=True, segment_id=segment_id,
                               first=first)  # fmt: skip
        if not rows:
            return [], []
        return [dict(r) for r in rows[0]["runs"]], [dict(a) for a in rows[0]["activations"]]

    async def _run(self, query: str, read: bool = False, **params: Any) -> list[dict[str, Any]]:
        records, _, _ = await self._driver.execute_query(
            q(query).query(), params, database_=self._database,
            routing_=RoutingControl.READ if read else RoutingControl.WRITE,
        )  # fmt: skip
        return [dict(r) for r in records]
