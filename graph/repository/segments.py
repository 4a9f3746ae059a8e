"""Segments in the graph: definitions with versions, evaluation of their compiled conditions,
and memberships (``MEMBER_OF {since}``) with a MembershipChange for every enter and exit."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from neo4j import AsyncDriver, Query, RoutingControl

from graph.cypher import q
from graph.model import now_iso

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Segment:
    segment_id: str
    name: str
    version: int
    definition: dict[str, Any]
    created_at: str
    updated_at: str
    members: int = 0

    @classmethod
    def from_row(cls, row: Any) -> Segment:
        return cls(row["segment_id"], row["name"], int(row["version"]),
                   json.loads(row["definition"]), row["created_at"], row["updated_at"],
                   int(row.get("members") or 0))  # fmt: skip


def readable_segments(rows: Sequence[Any]) -> list[Segment]:
    """The segments of ``rows``; a malformed stored segment (no version, a definition that
    is not JSON: written by hand or by an old bug) is left out with a warning, so it never
    stops the followers that evaluate all the others."""
    found = []
    for row in rows:
        try:
            found.append(Segment.from_row(row))
        except (KeyError, TypeError, ValueError) as err:
            log.warning("segment %r is malformed (%s: %s): left out",
                        dict(row).get("segment_id"), type(err).__name__, err)  # fmt: skip
    return found


class SegmentRepository:
    def __init__(self, driver: AsyncDriver, database: str) -> None:
        self._driver, self._database = driver, database

    def blocks(self, names: Sequence[str]) -> dict[str, str]:
        """The texts of the ``cypher/segment`` building blocks of ``names``."""
        return {name: q(name).text for name in names}

    async def save(
        self, name: str, raw: dict[str, Any], actor: str, segment_id: str | None = None
    ) -> Segment:
        """A new segment (``segment_id`` None) or a new version of one."""
        rows = await self._write(
            "segment.put_segment", segment_id=segment_id or f"seg_{uuid.uuid4().hex[:16]}",
            name=name, definition=json.dumps(raw, sort_keys=True), actor=actor, now=now_iso(),
        )  # fmt: skip
        return Segment.from_row(rows[0])

    async def segments(self, ids: Sequence[str] | None = None) -> list[Segment]:
        """The segments of ``ids`` (every one not deleted when None), by name."""
        rows = await self._read("segment.get_segments", ids=list(ids) if ids is not None else None)
        return readable_segments(rows[0]["segments"]) if rows else []

    async def delete(self, segment_id: str) -> list[str] | None:
        """Mark the segment deleted and end every membership (the ids that were members);
        None if there is no such segment."""
        rows = await self._write("segment.delete_segment", segment_id=segment_id, now=now_iso())
        return list(rows[0]["exited"]) if rows else None

    async def evaluate(
        self, condition: str, params: dict[str, object], ids: Sequence[str] | None = None
    ) -> set[str]:
        """The live customers a compiled condition (segments.compile) holds for: all of them,
        or those of ``ids``. The condition goes where the evaluate query says
        ``true /* condition */``; its values are parameters."""
        name = "segment.evaluate_members" if ids is None else "segment.evaluate_customers"
        head, marker, tail = q(name).text.rpartition("true /* condition */")
        if not marker:
            raise ValueError(f"{name} has no `true /* condition */` to replace")
        text = f"{head}({condition}){tail}"
        extra = {} if ids is None else {"ids": list(ids)}
        records, _, _ = await self._driver.execute_query(
            Query(text, metadata={"query": name}), {**params, **extra},
            database_=self._database, routing_=RoutingControl.READ,
        )  # fmt: skip
        return set(records[0]["members"]) if records else set()

    async def check(
        self, customer_id: str, conditions: str, params: dict[str, object]
    ) -> list[bool] | None:
        """Which of a segment's compiled leaf conditions (comma separated, in order) hold for
        the customer; None when there is no such customer."""
        head, marker, tail = q("segment.check_conditions").text.rpartition("true /* conditions */")
        if not marker:
            raise ValueError("segment.check_conditions has no `true /* conditions */`")
        records, _, _ = await self._driver.execute_query(
            Query(f"{head}{conditions}{tail}", metadata={"query": "segment.check_conditions"}),
            {**params, "customer_id": customer_id},
            database_=self._database, routing_=RoutingControl.READ,
        )  # fmt: skip
        return [bool(h) for h in records[0]["holds"]] if records else None

    async def overlap(self, ids: Sequence[str]) -> tuple[int, int]:
        """(customers in any of the segments, customers in all of them)."""
        rows = await self._read("segment.overlap", ids=list(ids))
        return (int(rows[0]["union"]), int(rows[0]["intersection"])) if rows else (0, 0)

    async def history(self, segment_id: str, since: str) -> list[dict[str, Any]]:
        """Enters and exits per UTC day since ``since``, oldest first."""
        rows = await self._read("segment.membership_history", segment_id=segment_id, since=since)
        return [dict(d) for d in rows[0]["days"]] if rows else []

    async def apply(
        self,
        segment_id: str,
        holds: set[str],
        ids: Sequence[str] | None = None,
        current: set[str] | None = None,
    ) -> tuple[list[str], list[str]]:
        """Make the members those of ``holds`` (among ``ids`` only, when given): (entered,
        exited), the memberships really changed, each recorded as a MembershipChange.
        ``current``: the members among ``ids``, when the caller has read them already (else
        they are read here)."""
        if current is None:
            current = (await self.current_members(segment_id) if ids is None
                       else await self.members_among(segment_id, ids))  # fmt: skip
        entered, exited = holds - current, current - holds
        if not entered and not exited:
            return [], []
        rows = await self._write(
            "segment.write_membership", segment_id=segment_id, entered=sorted(entered),
            exited=sorted(exited), now=now_iso(),
        )  # fmt: skip
        return (list(rows[0]["entered"]), list(rows[0]["exited"])) if rows else ([], [])

    async def current_members(self, segment_id: str) -> set[str]:
        rows = await self._read("segment.current_members", segment_id=segment_id)
        return set(rows[0]["members"]) if rows else set()

    async def members_among(self, segment_id: str, ids: Sequence[str]) -> set[str]:
        """Which of ``ids`` are members now."""
        found = await self.segments_of(ids)
        return {c for c, segs in found.items() if any(s["segment_id"] == segment_id for s in segs)}

    async def members(self, segment_id: str, after: str, limit: int) -> tuple[list[str], int]:
        rows = await self._read("segment.list_members", segment_id=segment_id, after=after,
                                limit=limit)  # fmt: skip
        return (list(rows[0]["ids"]), int(rows[0]["total"])) if rows else ([], 0)

    async def segments_of(self, ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        """The segments each customer is a member of (one round trip)."""
        rows = await self._read("segment.segments_of_customers", ids=list(ids))
        return {c: [dict(s) for s in segs] for c, segs in rows[0]["segments"]} if rows else {}

    async def _read(self, name: str, **params: Any) -> list[dict[str, Any]]:
        records, _, _ = await self._driver.execute_query(
            q(name).query(), params, database_=self._database, routing_=RoutingControl.READ
        )
        return [dict(r) for r in records]

    async def _write(self, query_name: str, **params: Any) -> list[dict[str, Any]]:
        records, _, _ = await self._driver.execute_query(
            q(query_name).query(), params, database_=self._database
        )
        return [dict(r) for r in records]
