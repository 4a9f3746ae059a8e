"""Consent statements, erasure of a person and the access export, over Neo4j (the
orchestration, with caches, search, destinations and the audit, is privacy.erase)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from neo4j import AsyncDriver, AsyncManagedTransaction, RoutingControl, unit_of_work

from graph.cypher import q
from graph.model import ConsentChange, now_iso


@dataclass(frozen=True)
class Erased:
    """What one erasure deleted: counts only, and who must hear of it (no PII here)."""

    customer_id: str
    ids: tuple[str, ...]  # the customer and the ids merged into it
    identifier_keys: tuple[str, ...]  # every identifier it held (cache pointers to drop)
    suppressed: int  # identifiers deleted and now suppressed
    destinations: tuple[str, ...]  # destinations of activations of segments it entered
    counts: Mapping[str, int]


class PrivacyRepository:
    def __init__(self, driver: AsyncDriver, database: str) -> None:
        self._driver = driver
        self._database = database

    async def set_consent(
        self, customer_id: str, change: ConsentChange, change_id: str
    ) -> str | None:
        """Record a consent statement; the live customer's id, None when unknown."""
        records, _, _ = await self._driver.execute_query(
            q("privacy.set_consent").query(), customer_id=customer_id, change_id=change_id,
            purpose=change.purpose, status=change.status, at=change.at, source=change.source,
            expires_at=change.expires_at, now=now_iso(), database_=self._database,
        )  # fmt: skip
        return str(records[0]["customer_id"]) if records else None

    async def erase(
        self, customer_id: str, hash_of: Callable[[str], str], erasure_id: str
    ) -> Erased | None:
        """Delete the person in one transaction (see privacy.erase_customer); None when no
        customer has that id. ``hash_of`` hashes the identifier keys left as Suppressions."""
        async with self._driver.session(database=self._database) as session:
            result: Erased | None = await session.execute_write(
                _erase, customer_id, hash_of, erasure_id
            )
            return result

    async def export(self, customer_id: str) -> dict[str, Any] | None:
        """Everything held about the person (privacy.export_customer), None when unknown."""
        records, _, _ = await self._driver.execute_query(
            q("privacy.export_customer").query(), customer_id=customer_id,
            database_=self._database, routing_=RoutingControl.READ,
        )  # fmt: skip
        return dict(records[0]) if records else None

    async def suppressions(self, hashes: list[str]) -> dict[str, dict[str, Any]]:
        """The Suppressions among ``hashes``: hash -> {at, erasure_id, dropped}."""
        records, _, _ = await self._driver.execute_query(
            q("privacy.get_suppressions").query(), hashes=hashes,
            database_=self._database, routing_=RoutingControl.READ,
        )  # fmt: skip
        return {r["hash"]: dict(r["suppression"]) for r in records}


@unit_of_work(metadata={"query": "privacy.erase"})
async def _erase(
    tx: AsyncManagedTransaction, customer_id: str, hash_of: Callable[[str], str], erasure_id: str
) -> Erased | None:
    found = await tx.run(q("privacy.erase_scope").text, customer_id=customer_id)
    scope = await found.single()
    if scope is None:
        return None
    own_keys = [i["key"] for i in scope["identifiers"] if not i["shared"]]
    own_devices = [d["device_id"] for d in scope["devices"] if not d["shared"]]
    result = await tx.run(
        q("privacy.erase_customer").text, customer_id=scope["customer_id"], ids=scope["ids"],
        identifiers=own_keys, devices=own_devices, hashes=sorted(hash_of(k) for k in own_keys),
        erasure_id=erasure_id, now=now_iso(),
    )  # fmt: skip
    counts = (await result.single(strict=True))["counts"]
    return Erased(
        customer_id=scope["customer_id"],
        ids=tuple(scope["ids"]),
        identifier_keys=tuple(sorted(i["key"] for i in scope["identifiers"])),
        suppressed=len(own_keys),
        destinations=tuple(sorted(scope["destinations"])),
        counts={k: int(v) for k, v in counts.items()},
    )
