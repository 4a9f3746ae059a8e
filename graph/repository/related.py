"""Traversals of the customer graph: related customers, identity paths, and the customers
of a device or an identifier (reads, routed to readers, each one round trip)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

from neo4j import AsyncDriver, Query

from graph.cypher import q
from graph.driver import read

RelatedKind = Literal["device", "address", "group", "household"]
SHARED_CAP = 50  # a device, address or group shared by more customers relates no one
MAX_DEPTH = 3

_NEIGHBOURS = {
    "device": ("related.device_neighbours", {}),
    "address": ("related.address_neighbours", {}),
    "group": ("related.group_neighbours", {"household": False}),
    "household": ("related.group_neighbours", {"household": True}),
}


@dataclass(frozen=True)
class Related:
    """A customer reached from the start: in ``hops`` steps, the last through the customer
    ``through`` and the shared thing ``via`` (a device id, an address key or a group id)."""

    customer_id: str
    hops: int
    through: str
    via: str


class RelatedRepository:
    def __init__(self, driver: AsyncDriver, database: str, cap: int = SHARED_CAP) -> None:
        self._driver = driver
        self._database = database
        self._cap = cap

    async def related(
        self, kind: RelatedKind, ids: Sequence[str], depth: int, limit: int
    ) -> dict[str, list[Related]]:
        """For each customer of ``ids``: the customers sharing a ``kind`` with it, then with
        those, up to ``depth`` hops, nearest first (then by id), at most ``limit``, each at its
        shortest distance, once. Breadth first for all of them together, over the neighbours
        of every customer within ``depth - 1`` hops, read in one query (:func:`_ball`), so a
        page of customers costs one round trip whatever the depth."""
        if not 1 <= depth <= MAX_DEPTH:
            raise ValueError(f"depth must be between 1 and {MAX_DEPTH}")
        around: dict[str, list[tuple[str, str]]] = {}
        for start, other, via in await self.neighbours(kind, ids, depth):
            around.setdefault(start, []).append((other, via))
        seen = {c: {c} for c in ids}
        found: dict[str, list[Related]] = {c: [] for c in ids}
        frontier = {c: [c] for c in ids}  # start -> the customers it reached last hop
        for hop in range(1, depth + 1):
            next_frontier: dict[str, list[str]] = {}
            for origin, reached in frontier.items():
                step: dict[str, Related] = {}
                for c in reached:
                    for other, via in around.get(c, ()):
                        if other not in seen[origin] and other not in step:
                            step[other] = Related(other, hop, c, via)
                found[origin].extend(sorted(step.values(), key=lambda r: r.customer_id))
                seen[origin] |= step.keys()
                if step and len(found[origin]) < limit:
                    next_frontier[origin] = sorted(step)
            frontier = next_frontier
        return {c: found[c][:limit] for c in ids}

    async def neighbours(
        self, kind: RelatedKind, ids: Sequence[str], depth: int = 1
    ) -> list[tuple[str, str, str]]:
        """(customer, other customer, the shared thing) for every customer of ``ids`` and
        every customer they reach in fewer than ``depth`` hops."""
        name, extra = _NEIGHBOURS[kind]
        records = await read(self._driver, self._database, _ball(name, depth),
                             {"ids": list(ids), "cap": self._cap, **extra})  # fmt: skip
        pairs = records[0]["pairs"] if records else []
        return [(a, b, str(via)) for a, b, via in pairs]

    async def identity_path(self, start: str, end: str) -> list[dict[str, Any]] | None:
        """The shortest identity path between two customers or records (each id either), as
        steps {label, id, via}; None when there is none within 10 hops."""
        row = await self._one("related.identity_path", **{"from": start, "to": end})
        return list(row["steps"]) if row else None

    async def customers_of_devices(self, ids: Sequence[str]) -> dict[str, list[str]]:
        row = await self._one("related.customers_of_devices", ids=list(ids))
        return {d: list(cs) for d, cs in row["customers"]} if row else {}

    async def customers_of_identifiers(self, keys: Sequence[str]) -> dict[str, list[str]]:
        row = await self._one("related.customers_of_identifiers", keys=list(keys))
        return {k: list(cs) for k, cs in row["customers"]} if row else {}

    async def _one(self, name: str, **params: Any) -> dict[str, Any] | None:
        records = await read(self._driver, self._database, q(name).query(), params)
        return dict(records[0]) if records else None


@cache
def _ball(name: str, depth: int) -> Query:
    """The neighbour query ``name`` (``$ids`` -> ``pairs``) asked ``depth`` times in one
    statement: first for ``$ids``, then for the customers the previous step reached that no
    earlier step had, so the pairs cover every customer within ``depth - 1`` hops. Each step
    is the file's own text in a ``CALL`` block, its ``$ids`` read from a variable."""
    [block] = q(name).statements()  # the text without its comments
    if block.count("$ids") != 1 or "ids_seen" in block:
        raise ValueError(f"{name}: a neighbour query takes $ids once")
    parts = [f"CALL () {{\n{block}\n}}\nWITH pairs AS step1, $ids AS ids_seen"]
    for step in range(2, depth + 1):
        last = f"step{step - 1}"
        inner = block.replace("$ids", "ids")
        parts.append(
            f"CALL ({last}, ids_seen) {{\n"
            f"  WITH COLLECT {{ UNWIND {last} AS p WITH DISTINCT p[1] AS id"
            f" WHERE NOT id IN ids_seen RETURN id }} AS ids\n{inner}\n}}\n"
            f"WITH {', '.join(f'step{k}' for k in range(1, step))}, pairs AS step{step},"
            f" ids_seen + [p IN {last} | p[1]] AS ids_seen"
        )
    steps = " + ".join(f"step{k}" for k in range(1, depth + 1))
    parts.append(f"RETURN {steps} AS pairs")
    return Query("\n".join(parts), metadata={"query": f"{name}*{depth}"})
