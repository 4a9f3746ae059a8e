"""Reads of unified profiles, their history, identity graph and conflicts (routed to readers)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from neo4j import AsyncDriver, RoutingControl

from graph.cypher import q
from graph.driver import read
from graph.model import ConsentChange


@dataclass(frozen=True)
class Profile:
    customer: dict[str, Any]
    requested_id: str
    identifiers: list[dict[str, str]]
    devices: list[dict[str, Any]]
    record_count: int


class ProfileRepository:
    """Reads of unified profiles (routed to readers)."""

    def __init__(self, driver: AsyncDriver, database: str) -> None:
        self._driver = driver
        self._database = database

    async def conflicts(
        self, since: str, first: int, customer_id: str | None = None
    ) -> list[dict[str, Any]]:
        """Links the identity rules refused, newest first (optionally of one customer)."""
        return await self._rows(
            "conflict.list_conflicts", since=since, first=first, customer_id=customer_id
        )

    async def conflict_counts(self, since: str) -> list[dict[str, Any]]:
        """How many conflicts were recorded since ``since``, per reason."""
        return await self._rows("conflict.count_conflicts", since=since)

    async def history(self, customer_id: str, first: int) -> list[dict[str, Any]]:
        """Merges and splits of the customer and of every id merged into it, newest first."""
        return await self._rows("customer.get_history", customer_id=customer_id, first=first)

    async def identity_graph(self, customer_id: str) -> list[dict[str, Any]]:
        """The customer's records, each with the identifiers it holds (and their flags)."""
        return await self._rows("customer.get_identity_graph", customer_id=customer_id)

    async def _rows(self, name: str, **params: Any) -> list[dict[str, Any]]:
        records = await read(self._driver, self._database, q(name).query(), params)
        return [dict(r) for r in records]

    async def profiles(self, ids: Sequence[str]) -> dict[str, Profile]:
        """:meth:`profile` for many ids in one round trip, by the id asked for."""
        if not ids:
            return {}
        rows = await self._rows("customer.get_profiles", ids=list(ids))
        return {p["requested_id"]: _profile(p) for p in rows[0]["profiles"]} if rows else {}

    async def events(self, ids: Sequence[str], page: EventPage) -> dict[str, list[dict[str, Any]]]:
        """Up to ``page.limit`` events of each customer, newest first (one round trip)."""
        rows = await self._rows(
            "customer.list_events", ids=list(ids), names=list(page.names) if page.names else None,
            since=page.since, until=page.until, before_ts=page.before[0] if page.before else None,
            before_id=page.before[1] if page.before else None, limit=page.limit,
        )  # fmt: skip
        return {p["customer_id"]: list(p["events"]) for p in rows[0]["pages"]} if rows else {}

    async def groups(self, ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        """The groups (households among them) of each customer (one round trip)."""
        rows = await self._rows("customer.list_groups", ids=list(ids))
        return {c: [dict(g) for g in gs] for c, gs in rows[0]["groups"]} if rows else {}

    async def consents(self, ids: Sequence[str]) -> dict[str, list[ConsentChange]]:
        """Each customer's consent changes, oldest first (one round trip)."""
        rows = await self._rows("privacy.consent_history", customer_ids=list(ids))
        return {r["customer_id"]: [consent_change(x) for x in r["changes"]] for r in rows}

    async def customers(
        self, where: CustomerWhere, after: str, limit: int
    ) -> tuple[list[str], int]:
        """Live customer ids in id order after ``after`` that match, and how many match."""
        rows = await self._rows(
            "customer.list_customers", after=after, limit=limit, source=where.source,
            updated_since=where.updated_since, updated_before=where.updated_before,
            identifier_type=where.identifier_type, trait=where.trait, trait_value=where.trait_value,
        )  # fmt: skip
        return list(rows[0]["ids"]), int(rows[0]["total"])

    async def customer_id_for(self, key: str) -> str | None:
        records, _, _ = await self._driver.execute_query(
            q("customer.find_by_identifier").query(),
            key=key,
            database_=self._database,
            routing_=RoutingControl.READ,
        )
        return str(records[0]["customer_id"]) if records else None

    async def profile_by_identifier(self, key: str) -> Profile | None:
        """The profile of the live customer holding identifier ``key``, in one query."""
        rows = await self._rows("customer.get_profile_by_identifier", key=key)
        return _profile(rows[0]) if rows else None

    async def profile(self, customer_id: str) -> Profile | None:
        rows = await self._rows("customer.get_profile", customer_id=customer_id)
        return _profile(rows[0]) if rows else None


def _profile(row: Any) -> Profile:
    return Profile(
        customer=dict(row["customer"]),
        requested_id=row["requested_id"],
        identifiers=list(row["identifiers"]),
        devices=list(row["devices"]),
        record_count=int(row["record_count"]),
    )


@dataclass(frozen=True)
class EventPage:
    """Which events of a customer: at most ``limit``, newest first, strictly before the
    ``before`` (timestamp, event id) cursor, named one of ``names``, in [since, until)."""

    limit: int
    before: tuple[str, str] | None = None
    names: tuple[str, ...] | None = None
    since: str | None = None
    until: str | None = None


@dataclass(frozen=True)
class CustomerWhere:
    """A filter over live customers; None is no condition. ``trait`` alone: the trait is
    set; with ``trait_value``: it equals the value."""

    source: str | None = None
    updated_since: str | None = None
    updated_before: str | None = None
    identifier_type: str | None = None
    trait: str | None = None
    trait_value: str | int | float | bool | None = None


async def model_records(
    driver: AsyncDriver, database: str, page: int = 10_000, source: str | None = None
) -> AsyncIterator[tuple[str, dict[str, Any]]]:
    """Every record's stated attributes (record id, golden values), in id order, a page of
    records per query returned as one list (20 times faster than a row per record through
    the async driver: 50,000 records in 0.3 s instead of 6.6 s)."""
    after = ""
    while True:
        records, _, _ = await driver.execute_query(
            q("record.model_records").query(), after=after, limit=page, source=source,
            database_=database, routing_=RoutingControl.READ,
        )  # fmt: skip
        row = records[0]
        for record_id, golden in row["page"]:
            yield record_id, json.loads(golden)
        if row["scanned"] < page:
            return
        after = row["last"]


async def customers_of_records(
    driver: AsyncDriver, database: str, ids: Sequence[str], chunk: int = 10_000
) -> dict[str, str]:
    """record id -> its live customer, for every record of ``ids`` that exists."""
    owners: dict[str, str] = {}
    for start in range(0, len(ids), chunk):
        records, _, _ = await driver.execute_query(
            q("record.customers_of_records").query(), ids=list(ids[start : start + chunk]),
            database_=database, routing_=RoutingControl.READ,
        )  # fmt: skip
        owners.update((record_id, customer_id) for record_id, customer_id in records[0]["owners"])
    return owners


def consent_change(row: Mapping[str, Any]) -> ConsentChange:
    """A ConsentChange node's properties as the model's value."""
    return ConsentChange(
        row["purpose"], row["status"], row["at"], row["source"], row.get("expires_at")
    )
