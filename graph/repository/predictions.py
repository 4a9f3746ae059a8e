"""Purchase histories for predictive traits, and their writes (traits.predict_job over Neo4j)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from neo4j import AsyncDriver, RoutingControl

from graph.cypher import q


class PredictionRepository:
    """Reads a page of customers' purchase events as one row (one list: the driver costs
    about as much per row as per customer), writes predictive traits in UNWIND batches."""

    def __init__(self, driver: AsyncDriver, database: str) -> None:
        self._driver = driver
        self._database = database

    async def purchases(
        self, event: str, until: str, after: str, limit: int, ids: Sequence[str] | None
    ) -> list[tuple[str, list[tuple[str, str | None]]]]:
        """A page of (customer id, [(timestamp, properties JSON)]), see the Cypher file.

        Args:
            event: the purchase event name.
            until: events before this ISO text count.
            after: the last customer id of the previous page ("" for the first).
            limit: customers in a page.
            ids: only these customers; None: every live customer.
        """
        records, _, _ = await self._driver.execute_query(
            q("customer.purchases_for_predictions").query(), event=event, until=until,
            after=after, limit=limit, ids=list(ids) if ids is not None else None,
            database_=self._database, routing_=RoutingControl.READ,
        )  # fmt: skip
        page = records[0]["page"] if records else []
        return [
            (row["customer_id"], [(str(ts), props) for ts, props in row["purchases"]])
            for row in page
        ]

    async def write(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Set each row's ``values`` on the customer ``customer_id`` (one transaction)."""
        await self._driver.execute_query(
            q("customer.write_predictions").query(), rows=[dict(r) for r in rows],
            database_=self._database,
        )  # fmt: skip
