"""Customer search on Neo4j's full-text index ``customer_search`` (no OpenSearch needed).

The index is part of the graph, updated in the transaction that writes a customer, so
:meth:`Neo4jSearch.index` and :meth:`Neo4jSearch.delete` have nothing to do. Filters and
facets are computed in the same Cypher query (``search.find_customers``) over at most
``cap`` full-text hits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import Any, Literal

from neo4j import AsyncDriver, RoutingControl
from neo4j.exceptions import ClientError, Neo4jError

from graph.cypher import q
from graph.search.lucene import lucene_query
from graph.search.model import (
    Cursor,
    CustomerDocument,
    Facet,
    Hit,
    SearchFilter,
    SearchPage,
    SearchUnavailable,
    checked,
)


class Neo4jSearch:
    """:class:`graph.search.model.SearchIndex` over the graph itself."""

    kind: Literal["opensearch", "neo4j"] = "neo4j"
    follows_changes = False

    def __init__(self, driver: AsyncDriver, database: str, cap: int = 10_000) -> None:
        self._driver = driver
        self._database = database
        self._cap = cap

    async def ensure_index(self) -> bool:
        """Nothing to do: ``customer_search`` is in the schema (``graphcdp schema apply``)."""
        return False

    async def index(self, docs: Sequence[CustomerDocument]) -> None:
        """Nothing to do: the full-text index follows the graph."""

    async def delete(self, ids: Sequence[str]) -> None:
        """Nothing to do: merged customers are left out by the query."""

    async def search(
        self, query: str, filter: SearchFilter, first: int, after: Cursor | None
    ) -> SearchPage:
        lucene = lucene_query(checked(query, first))
        if lucene is None:
            return SearchPage((), 0, False)
        params: dict[str, Any] = {
            "lucene": lucene,
            "cap": self._cap,
            "limit": first + 1,
            "sources": list(filter.sources) if filter.sources is not None else None,
            "segments": list(filter.segments) if filter.segments is not None else None,
            "traits": [asdict(t) for t in filter.traits],
            "after_score": after.score if after else None,
            "after_id": after.customer_id if after else None,
        }
        try:
            records, _, _ = await self._driver.execute_query(
                q("search.find_customers").query(), params,
                database_=self._database, routing_=RoutingControl.READ,
            )  # fmt: skip
        except ClientError as err:  # a query the parser refused: a bug of lucene_query
            raise SearchUnavailable(f"full-text query refused: {err.message}") from err
        except (Neo4jError, OSError) as err:
            raise SearchUnavailable(f"Neo4j: {err}") from err
        row = records[0]
        hits = tuple(Hit(h["customer_id"], float(h["score"])) for h in row["page"])
        return SearchPage(
            hits=hits[:first],
            total=int(row["total"]),
            has_next=len(hits) > first,
            sources=tuple(Facet(str(f["value"]), int(f["count"])) for f in row["sources"]),
            segments=tuple(Facet(str(f["value"]), int(f["count"])) for f in row["segments"]),
        )
