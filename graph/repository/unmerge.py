"""An operator's correction of one customer (matching.split plans it), one transaction."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence

from neo4j import AsyncDriver, AsyncManagedTransaction, unit_of_work

from graph.cypher import q
from graph.model import (
    GOLDEN,
    ClusterRecord,
    Correction,
    Identifier,
    SplitPlan,
    now_iso,
)
from graph.repository.identity import change_id, golden_rows

Splitter = Callable[[str, Sequence[ClusterRecord], Mapping[str, int]], SplitPlan]


class SplitRepository:
    """Operator corrections of one customer (matching.split plans them), one transaction."""

    def __init__(self, driver: AsyncDriver, database: str) -> None:
        self._driver = driver
        self._database = database

    async def split(
        self, customer_id: str, correction: Correction, splitter: Splitter, actor: str,
        reason: str | None = None,
    ) -> SplitPlan | None:  # fmt: skip
        """Lock and read the customer, plan with ``splitter``, apply; None: no live customer.

        Raises:
            matching.split.SplitError (from ``splitter``): the correction does not apply.
        """
        async with self._driver.session(database=self._database) as session:
            return await session.execute_write(
                self._split, customer_id, correction, splitter, actor, reason
            )

    @staticmethod
    @unit_of_work(metadata={"query": "identity.split"})
    async def _split(
        tx: AsyncManagedTransaction, customer_id: str, correction: Correction,
        splitter: Splitter, actor: str, reason: str | None,
    ) -> SplitPlan | None:  # fmt: skip
        now = now_iso()
        cursor = await tx.run(q("identity.get_cluster").text, customer_id=customer_id, now=now)
        rows = [row async for row in cursor]
        if not rows:
            return None
        records = [
            ClusterRecord(
                r["record_id"], r["source"], r["timestamp"],
                tuple(Identifier.from_key(k) for k in sorted(r["identifiers"])),
                json.loads(r["golden"] or "{}"), r["detached"],
            )
            for r in rows
        ]  # fmt: skip
        events = {e["via"]: int(e["n"]) for e in rows[0]["events"] if e["via"]}
        plan = splitter(customer_id, records, events)
        ids = {p.customer_id for p in plan.parts}
        parts = [
            {"customer_id": p.customer_id, "new": p.new, "record_ids": list(p.record_ids),
             "apart": sorted(ids - {p.customer_id}), "first_names": list(p.first_names),
             "dobs": list(p.dobs)}
            for p in plan.parts
        ]  # fmt: skip
        await (
            await tx.run(
                q("identity.split_customer").text,
                customer_id=customer_id, parts=parts, now=now, actor=actor, detail=reason,
                removed_links=[{"record_id": r, "identifier": k} for r, k in plan.removed_links],
                detached=plan.detached, blocked=plan.blocked,
                event_moves=[{"via": v, "customer_id": c} for v, c in plan.event_moves.items()],
                change_id=change_id("split", customer_id, now, correction.kind),
                record_id=correction.record_id, identifier=correction.identifier,
            )
        ).consume()  # fmt: skip
        attributes = sorted({a for p in plan.parts for a in p.golden.values} | set(GOLDEN))
        updates = {p.customer_id: p.golden for p in plan.parts}
        await (
            await tx.run(q("identity.write_golden").text, rows=golden_rows(updates, attributes))
        ).consume()
        return plan
