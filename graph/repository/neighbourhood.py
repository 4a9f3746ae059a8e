"""A customer's neighbourhood in the graph, for exports (``graphcdp graph export``): breadth
first from the customer, one query per hop over the whole frontier."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from neo4j import AsyncDriver, RoutingControl

from graph.cypher import q

MAX_DEPTH = 5
NEIGHBOUR_CAP = 100  # relationships followed from one node, per hop


@dataclass(frozen=True)
class Subgraph:
    """Nodes ``{id, labels, properties}`` and relationships ``{id, type, start, end,
    properties}``; ids are the source database's element ids, the first node is the start."""

    nodes: tuple[dict[str, Any], ...]
    relationships: tuple[dict[str, Any], ...]


class NeighbourhoodRepository:
    def __init__(self, driver: AsyncDriver, database: str) -> None:
        self._driver = driver
        self._database = database

    async def neighbourhood(
        self, customer_id: str, depth: int, cap: int = NEIGHBOUR_CAP, skip: Sequence[str] = ()
    ) -> Subgraph | None:
        """Everything within ``depth`` relationships of the live customer of ``customer_id``
        (a merged id leads to its survivor), at most ``cap`` relationships followed from any
        one node, none of the types in ``skip``; None when there is no such customer.

        Raises:
            ValueError: ``depth`` is not between 1 and MAX_DEPTH, or ``cap`` below 1.
        """
        if not 1 <= depth <= MAX_DEPTH:
            raise ValueError(f"depth must be between 1 and {MAX_DEPTH}")
        if cap < 1:
            raise ValueError("cap must be at least 1")
        start = await self._one("graph.customer_node", customer_id=customer_id)
        if start is None:
            return None
        nodes: dict[str, dict[str, Any]] = {start["node"]["id"]: dict(start["node"])}
        relationships: dict[str, dict[str, Any]] = {}
        frontier = [start["node"]["id"]]
        for _ in range(depth):
            row = await self._one("graph.expand_nodes", ids=frontier, cap=cap, skip=list(skip))
            if row is None:
                break
            frontier = []
            for node in row["nodes"]:
                if node["id"] not in nodes:
                    nodes[node["id"]] = dict(node)
                    frontier.append(node["id"])
            for rel in row["relationships"]:
                relationships.setdefault(rel["id"], dict(rel))
            if not frontier:
                break
        return Subgraph(tuple(nodes.values()), tuple(relationships.values()))

    async def _one(self, name: str, **params: Any) -> Any:
        records, _, _ = await self._driver.execute_query(
            q(name).query(), params, database_=self._database, routing_=RoutingControl.READ
        )
        return records[0] if records else None
