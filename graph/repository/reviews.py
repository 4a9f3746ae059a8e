"""REVIEW pairs (model scores between the review and link thresholds) and people's decisions."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from neo4j import AsyncDriver, AsyncManagedTransaction, RoutingControl, unit_of_work

from graph.cypher import q
from graph.model import Identifier, now_iso
from graph.repository.identity import change_id

# (holds of one customer, holds of the other, kept-apart ids of each, both ids) -> why a merge
# is refused, or None; pure logic from matching (matching.review.merge_refusal).
MergeCheck = Callable[
    [Sequence[Identifier], Sequence[Identifier], Sequence[str], Sequence[str], str, str],
    str | None,
]


@dataclass(frozen=True)
class Decision:
    status: str  # accepted | rejected | the status it already had
    merged: tuple[str, str] | None = None  # (survivor, loser)
    refused: str | None = None  # why an accepted pair could not be joined
    decided_now: bool = True


class ReviewRepository:
    def __init__(self, driver: AsyncDriver, database: str) -> None:
        self._driver = driver
        self._database = database

    async def reviews(self, status: str, first: int) -> list[dict[str, Any]]:
        records, _, _ = await self._driver.execute_query(
            q("match.list_reviews").query(), status=status, first=first,
            database_=self._database, routing_=RoutingControl.READ,
        )  # fmt: skip
        return [dict(r) for r in records]

    async def decide(
        self, record_id: str, other: str, accept: bool, actor: str, reason: str | None,
        check: MergeCheck,
    ) -> Decision | None:  # fmt: skip
        """Accept (a MATCHES link, and the customers merge when the rules allow it) or reject
        (a NOT_MATCH link, the customers kept apart). None: no such REVIEW pair."""
        async with self._driver.session(database=self._database) as session:
            return await session.execute_write(
                self._decide, record_id, other, accept, actor, reason, check
            )

    @staticmethod
    @unit_of_work(metadata={"query": "match.decide"})
    async def _decide(
        tx: AsyncManagedTransaction, record_id: str, other: str, accept: bool, actor: str,
        reason: str | None, check: MergeCheck,
    ) -> Decision | None:  # fmt: skip
        now = now_iso()
        cursor = await tx.run(
            q("match.get_review").text, record_id=record_id, other_record_id=other, now=now
        )
        row = await cursor.single()
        if row is None:
            return None
        if row["status"] != "open":
            return Decision(row["status"], decided_now=False)
        mine, theirs = row["customer_id"], row["other_customer_id"]
        merged = None
        if accept and mine != theirs:
            refusal = check(
                [Identifier.from_key(k) for k in row["holds"]],
                [Identifier.from_key(k) for k in row["other_holds"]],
                row["kept_apart"], row["other_kept_apart"], mine, theirs,
            )  # fmt: skip
            if refusal is not None:
                return Decision("open", refused=refusal, decided_now=False)
            merged = await _merge_pair(
                tx, row, record_id, f"review:{other}", "operator", actor, reason, now
            )
        apart = [[mine, theirs], [theirs, mine]] if not accept and mine != theirs else []
        status = "accepted" if accept else "rejected"
        await (
            await tx.run(
                q("match.decide_review").text, record_id=record_id, other_record_id=other,
                status=status, actor=actor, reason=reason, apart=apart, now=now,
            )
        ).consume()  # fmt: skip
        return Decision(status, merged=merged)


@dataclass(frozen=True)
class Joined:
    merged: tuple[str, str] | None = None  # (survivor, loser)
    refused: str | None = None
    same: bool = False  # already one customer
    retry: bool = False  # a customer of the pair is in an earlier pair of the same call


# (first names, birth dates) of one customer and of the other -> whether they may be one person
AgreeCheck = Callable[[Sequence[str], Sequence[str], Sequence[str], Sequence[str]], bool]


async def join_linked(
    driver: AsyncDriver, database: str, pairs: Sequence[tuple[str, str]], check: MergeCheck,
    agree: AgreeCheck, actor: str = "match link",
) -> list[Joined]:  # fmt: skip
    """Join the customers of model-linked pairs (record, other record) when the identity rules
    allow it, in one transaction: every customer locked, each pair checked, the merges written
    together with cause ``model``. Each pair is checked against what its customers held when
    the call began, so a pair whose live customer an earlier pair of the call already took is
    left for the caller to ``retry``; a pair whose two records already share a customer is
    ``same``. One result per pair, in order."""

    @unit_of_work(metadata={"query": "match.join_linked"})
    async def work(tx: AsyncManagedTransaction) -> list[Joined]:
        now = now_iso()
        cursor = await tx.run(
            q("match.join_linked").text,
            pairs=[{"record_id": a, "other_record_id": b} for a, b in pairs], now=now,
        )  # fmt: skip
        found = await cursor.single()
        listed = found["pairs"] if found is not None else []
        rows = {(r["record_id"], r["other_record_id"]): r for r in listed}
        out: list[Joined] = []
        merges: list[dict[str, Any]] = []
        used: set[str] = set()
        for record_id, other in pairs:
            row = rows.get((record_id, other))
            if row is None:
                out.append(Joined(refused="a record of the pair is gone"))
                continue
            mine, theirs = row["customer_id"], row["other_customer_id"]
            if mine == theirs:
                out.append(Joined(same=True))
                continue
            if mine in used or theirs in used:
                out.append(Joined(retry=True))
                continue
            used |= {mine, theirs}
            refusal = check(
                [Identifier.from_key(k) for k in row["holds"]],
                [Identifier.from_key(k) for k in row["other_holds"]],
                row["kept_apart"], row["other_kept_apart"], mine, theirs,
            )  # fmt: skip
            if refusal is None and not agree(
                row["first_names"], row["other_first_names"], row["dobs"], row["other_dobs"]
            ):
                refusal = f"{mine} and {theirs}: first names or birth dates disagree (disagree)"
            if refusal is not None:
                out.append(Joined(refused=refusal))
                continue
            merge = _merge_row(row, record_id, f"model:{other}", "model", actor, None)
            merges.append(merge)
            out.append(Joined(merged=(merge["survivor"], merge["loser"])))
        if merges:
            await (
                await tx.run(q("identity.merge_customers").text, merges=merges, now=now)
            ).consume()
        return out

    if not pairs:
        return []
    async with driver.session(database=database) as session:
        return await session.execute_write(work)


async def write_links(driver: AsyncDriver, database: str, links: list[dict[str, Any]]) -> None:
    """Model verdicts (match.write_links rows), in one transaction."""
    await driver.execute_query(
        q("match.write_links").query(), links=links, now=now_iso(), database_=database
    )


async def _merge_pair(
    tx: AsyncManagedTransaction, row: Any, record_id: str, identifier: str, cause: str,
    actor: str, detail: str | None, now: str,
) -> tuple[str, str]:  # fmt: skip
    """Merge the two locked customers of a pair; the older keeps its id: (survivor, loser)."""
    merge = _merge_row(row, record_id, identifier, cause, actor, detail)
    await (await tx.run(q("identity.merge_customers").text, merges=[merge], now=now)).consume()
    return merge["survivor"], merge["loser"]


def _merge_row(
    row: Any, record_id: str, identifier: str, cause: str, actor: str, detail: str | None
) -> dict[str, Any]:
    """An identity.merge_customers row for the pair's two customers: the older survives."""
    ages = [(row["created_at"] or "", row["customer_id"]),
            (row["other_created_at"] or "", row["other_customer_id"])]  # fmt: skip
    (_, survivor), (_, loser) = sorted(ages)
    return {"survivor": survivor, "loser": loser, "cause": cause, "actor": actor,
            "record_id": record_id, "identifier": identifier, "detail": detail,
            "change_id": change_id("merge", survivor, loser)}  # fmt: skip
