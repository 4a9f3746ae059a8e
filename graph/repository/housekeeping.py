"""Events retention, computed-trait jobs and settings kept in the graph."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from neo4j import AsyncDriver, RoutingControl

from graph.cypher import q
from graph.model import (
    TraitUpdate,
    now_iso,
)
from graph.repository.identity import trait_rows


class EventRepository:
    """Event housekeeping: retention."""

    def __init__(self, driver: AsyncDriver, database: str) -> None:
        self._driver = driver
        self._database = database

    async def prune(self, cutoffs: Mapping[str, Any], batch: int = 10_000) -> int:
        """Delete events past their retention, in batches. ``cutoffs``: default_cutoff, rules
        and latest_cutoff (privacy.retention.Retention.query_params; :func:`one_cutoff`).

        Each batch is its own transaction (``CALL { } IN TRANSACTIONS``), so pruning millions
        of events never holds one huge transaction; it runs as an auto-commit query.
        """
        async with self._driver.session(database=self._database) as session:
            result = await session.run(q("event.prune_events").query(), **cutoffs, batch=batch)
            record = await result.single()
            return int(record["deleted"]) if record else 0

    async def claim_retention(self, owner: str, due_before: str, until: str) -> bool:
        """Take the retention job when it last ran before ``due_before`` and is not held."""
        records, _, _ = await self._driver.execute_query(
            q("event.claim_retention").query(), owner=owner, now=now_iso(),
            due_before=due_before, until=until, database_=self._database,
        )  # fmt: skip
        return bool(records[0]["claimed"])

    async def finish_retention(self, owner: str, deleted: int) -> None:
        await self._driver.execute_query(
            q("event.finish_retention").query(), owner=owner, now=now_iso(), deleted=deleted,
            database_=self._database,
        )  # fmt: skip


def one_cutoff(cutoff: str) -> dict[str, Any]:
    """Prune parameters deleting every event before ``cutoff``, whatever its kind."""
    return {"default_cutoff": cutoff, "rules": [], "latest_cutoff": cutoff}


class SettingsRepository:
    """Settings kept in the graph (versioned text), such as the identity rules."""

    IDENTITY_RULES = "identity_rules"

    def __init__(self, driver: AsyncDriver, database: str) -> None:
        self._driver = driver
        self._database = database

    async def get(self, name: str) -> dict[str, Any] | None:
        """{text, version, updated_at, actor}, or None when never set."""
        records, _, _ = await self._driver.execute_query(
            q("setting.get_setting").query(), name=name, database_=self._database,
            routing_=RoutingControl.READ,
        )  # fmt: skip
        return dict(records[0]) if records else None

    async def text(self, name: str) -> tuple[str, int] | None:
        found = await self.get(name)
        return (str(found["text"]), int(found["version"])) if found else None

    async def put(self, name: str, text: str, actor: str) -> int:
        """Store a new version; the previous one stays as history. Returns the version."""
        records, _, _ = await self._driver.execute_query(
            q("setting.put_setting").query(), name=name, text=text, actor=actor, now=now_iso(),
            database_=self._database,
        )  # fmt: skip
        return int(records[0]["version"])

    async def identity_rules(self) -> tuple[str, int] | None:
        return await self.text(self.IDENTITY_RULES)


class TraitRepository:
    """Computed-trait housekeeping (traits.jobs.TraitStore over Neo4j)."""

    def __init__(self, driver: AsyncDriver, database: str) -> None:
        self._driver = driver
        self._database = database

    async def due(self, day: str, limit: int) -> list[tuple[str, str | None]]:
        records, _, _ = await self._driver.execute_query(
            q("customer.due_traits").query(), day=day, limit=limit, database_=self._database
        )
        return [(r["customer_id"], r["trait_state"]) for r in records]

    async def events_of(self, customer_ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        records, _, _ = await self._driver.execute_query(
            q("customer.events_for_traits").query(), ids=list(customer_ids),
            database_=self._database, routing_=RoutingControl.READ,
        )  # fmt: skip
        return {r["customer_id"]: list(r["events"]) for r in records}

    async def write(self, updates: Mapping[str, TraitUpdate]) -> None:
        await self._driver.execute_query(
            q("identity.write_traits").query(), rows=trait_rows(updates), now=now_iso(),
            database_=self._database,
        )  # fmt: skip

    async def customer_ids(self, after: str, limit: int) -> list[str]:
        records, _, _ = await self._driver.execute_query(
            q("customer.list_customer_ids").query(), after=after, limit=limit,
            database_=self._database, routing_=RoutingControl.READ,
        )  # fmt: skip
        return [r["customer_id"] for r in records]


class ModelRepository:
    """Trained matching models kept in the graph, one MatchModel node per version; which one
    the workers use is the ``active_model`` setting."""

    ACTIVE = "active_model"

    def __init__(self, driver: AsyncDriver, database: str) -> None:
        self._driver = driver
        self._database = database

    async def put(self, version: str, text: str, summary: str, trained_at: str) -> None:
        await self._driver.execute_query(
            q("match.put_model").query(), version=version, text=text, summary=summary,
            trained_at=trained_at, now=now_iso(), database_=self._database,
        )  # fmt: skip

    async def get(self, version: str) -> str | None:
        """The model file's text, or None for an unknown version."""
        records, _, _ = await self._driver.execute_query(
            q("match.get_model").query(), version=version, database_=self._database,
            routing_=RoutingControl.READ,
        )  # fmt: skip
        return str(records[0]["text"]) if records else None

    async def versions(self) -> list[dict[str, Any]]:
        records, _, _ = await self._driver.execute_query(
            q("match.list_models").query(), database_=self._database,
            routing_=RoutingControl.READ,
        )  # fmt: skip
        return [dict(r) for r in records]
