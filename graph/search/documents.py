"""Search documents read from the graph, and keeping an index in step with it.

:func:`sync` is what both the change follower (``api.search_follower``) and
``graphcdp search reindex`` do with a batch of customer ids: one Cypher query reads the live
ones' documents, one bulk request indexes them, one deletes the others (merged away, gone).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from neo4j import AsyncDriver, RoutingControl

from graph.cypher import q
from graph.search.model import CustomerDocument, SearchIndex, TraitValue


@dataclass(frozen=True)
class Synced:
    indexed: int
    deleted: int


class DocumentSource(Protocol):
    async def documents(self, ids: Sequence[str]) -> dict[str, CustomerDocument | None]: ...


class LiveDocuments(DocumentSource, Protocol):
    def live_ids(self, page: int = 1000) -> AsyncIterator[list[str]]: ...


class DocumentReader:
    """Reads customers' search documents from Neo4j (routed to readers)."""

    def __init__(self, driver: AsyncDriver, database: str, traits: Sequence[str]) -> None:
        self._driver = driver
        self._database = database
        self._traits = list(traits)

    async def documents(self, ids: Sequence[str]) -> dict[str, CustomerDocument | None]:
        """Each id's document; None for an id merged away or not in the graph."""
        records, _, _ = await self._driver.execute_query(
            q("search.read_documents").query(), ids=list(ids), traits=self._traits,
            database_=self._database, routing_=RoutingControl.READ,
        )  # fmt: skip
        return {r["customer_id"]: document(r["doc"]) if r["doc"] else None for r in records}

    async def live_ids(self, page: int = 1000) -> AsyncIterator[list[str]]:
        """Every live customer id, in id order, a page at a time."""
        after = ""
        while True:
            records, _, _ = await self._driver.execute_query(
                q("customer.list_customer_ids").query(), after=after, limit=page,
                database_=self._database, routing_=RoutingControl.READ,
            )  # fmt: skip
            ids = [str(r["customer_id"]) for r in records]
            if ids:
                yield ids
            if len(ids) < page:
                return
            after = ids[-1]


def document(row: dict[str, Any]) -> CustomerDocument:
    """A document from a ``search.read_documents`` row (trait values that are not scalars,
    such as lists, are left out)."""
    traits: dict[str, TraitValue] = {
        str(name): value
        for name, value in row.get("traits") or ()
        if isinstance(value, str | int | float | bool)
    }
    return CustomerDocument(
        customer_id=str(row["customer_id"]),
        display_name=row.get("display_name"),
        first_name=row.get("first_name"),
        last_name=row.get("last_name"),
        email=row.get("email"),
        phone=row.get("phone"),
        updated_at=row.get("updated_at"),
        sources=tuple(sorted(str(s) for s in row.get("sources") or () if s is not None)),
        segments=tuple(sorted(str(s) for s in row.get("segments") or () if s is not None)),
        traits=traits,
    )


async def sync(ids: Sequence[str], reader: DocumentSource, index: SearchIndex) -> Synced:
    """Index the live customers of ``ids`` and delete the others from the index."""
    if not ids:
        return Synced(0, 0)
    docs = await reader.documents(ids)
    live = [d for d in docs.values() if d is not None]
    gone = sorted(set(ids) - {d.customer_id for d in live})
    if live:
        await index.index(live)
    if gone:
        await index.delete(gone)
    return Synced(len(live), len(gone))


async def reindex(reader: LiveDocuments, index: SearchIndex, page: int = 1000) -> Synced:
    """Send every live customer of the graph to the index, a page (one read, one bulk
    request) at a time, in id order."""
    indexed = deleted = 0
    async for ids in reader.live_ids(page):
        done = await sync(ids, reader, index)
        indexed += done.indexed
        deleted += done.deleted
    return Synced(indexed, deleted)
