"""Who may call the API: API keys (only their SHA-256 at rest) and the audit log."""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from neo4j import AsyncDriver, RoutingControl
from neo4j.exceptions import ConstraintError

from graph.cypher import q
from graph.model import now_iso


class ApiKeyExists(ValueError):
    """A key with this name (or, improbably, this secret) is already stored."""


@dataclass(frozen=True)
class StoredKey:
    """An API key as the graph holds it: never the secret."""

    name: str
    role: str
    revoked: bool


class ApiKeyRepository:
    """``ApiKey`` nodes: name, role, key_hash (SHA-256 of the secret), created_at, revoked."""

    BOOTSTRAP = "bootstrap-admin"  # + the first 8 hex digits of the key's hash

    def __init__(self, driver: AsyncDriver, database: str) -> None:
        self._driver = driver
        self._database = database

    async def create(self, name: str, role: str, key_hash: str) -> dict[str, Any]:
        """Store a new key.

        Raises:
            ApiKeyExists: the name is taken (revoked keys keep their names).
        """
        try:
            records, _, _ = await self._driver.execute_query(
                q("apikey.create_api_key").query(), name=name, role=role, key_hash=key_hash,
                now=now_iso(), database_=self._database,
            )  # fmt: skip
        except ConstraintError:
            raise ApiKeyExists(f"an API key named {name!r} exists") from None
        return dict(records[0])

    async def put_bootstrap(self, key_hash: str, role: str = "admin") -> StoredKey:
        """Store the bootstrap key (``GRAPHCDP_ADMIN_KEY``) unless it is stored already, as
        ``bootstrap-admin-<hash prefix>``; returns it (a revoked one stays revoked)."""
        records, _, _ = await self._driver.execute_query(
            q("apikey.put_bootstrap_key").query(), name=f"{self.BOOTSTRAP}-{key_hash[:8]}",
            key_hash=key_hash, role=role, now=now_iso(), database_=self._database,
        )  # fmt: skip
        row = records[0]
        return StoredKey(str(row["name"]), role, bool(row["revoked"]))

    async def find(self, key_hash: str) -> StoredKey | None:
        """The key whose secret hashes to ``key_hash``, or None."""
        records, _, _ = await self._driver.execute_query(
            q("apikey.find_api_key").query(), key_hash=key_hash, database_=self._database,
            routing_=RoutingControl.READ,
        )  # fmt: skip
        if not records:
            return None
        row = records[0]
        return StoredKey(str(row["name"]), str(row["role"]), bool(row["revoked"]))

    async def keys(self) -> list[dict[str, Any]]:
        """Every key (name, role, created_at, revoked, revoked_at, bootstrap), by name."""
        records, _, _ = await self._driver.execute_query(
            q("apikey.list_api_keys").query(), database_=self._database,
            routing_=RoutingControl.READ,
        )  # fmt: skip
        return [dict(r) for r in records]

    async def revoke(self, name: str) -> bool:
        """Revoke the key called ``name``; False when there is none."""
        records, _, _ = await self._driver.execute_query(
            q("apikey.revoke_api_key").query(), name=name, now=now_iso(),
            database_=self._database,
        )  # fmt: skip
        return bool(records)


class AuditRepository:
    """The audit log: one ``AuditBatch`` node a flush, its entries inside as JSON.

    An entry is a dict of entry_id, at, actor, role, operation, kind, fields, customer_ids.
    A PII read is an entry, so cached reads make thousands a second: a flush of 360 took
    Neo4j 85-120 ms as nodes (one each, three index entries each) and 7-20 ms as one node
    (bench/README.md, session 14). Admins read entries one by one (``entries``, the
    ``auditLog`` query); in Neo4j Bloom a batch shows its time range, actors, kinds and
    customer ids.
    """

    PAGE = 8  # batches read first; each further read doubles it, up to MAX_PAGE
    MAX_PAGE = 256

    def __init__(self, driver: AsyncDriver, database: str) -> None:
        self._driver = driver
        self._database = database

    async def write(
        self, rows: Sequence[dict[str, Any]], encoded: Sequence[str] | None = None
    ) -> int:
        """Store a batch of entries as one AuditBatch in one transaction; returns how many.
        ``encoded``: each row already as JSON (:func:`encode_entry`), when the caller has it."""
        if not rows:
            return 0
        records, _, _ = await self._driver.execute_query(
            q("audit.write_batch").query(), **batch_params(rows, encoded),
            database_=self._database,
        )  # fmt: skip
        return int(records[0]["written"])

    async def entries(
        self, first: int, after: tuple[str, str] | None = None, actor: str | None = None
    ) -> list[dict[str, Any]]:
        """At most ``first`` entries, newest first (by at, then entry_id), after the (at,
        entry_id) cursor, of one ``actor`` or all.

        Batches are read newest ``last_at`` first, in growing pages, until the entries found
        that are newer than the last batch's ``last_at`` are ``first`` or more: no batch left
        can hold a newer one. An entry stored twice (a retried write) shows once.
        """
        found: dict[str, dict[str, Any]] = {}
        below, page = ("~", ""), self.PAGE
        before = after[0] if after else "~"
        while True:
            records, _, _ = await self._driver.execute_query(
                q("audit.list_batches").query(), n=page, below_at=below[0], below_id=below[1],
                before=before, actor=actor, database_=self._database,
                routing_=RoutingControl.READ,
            )  # fmt: skip
            for record in records:
                for entry in json.loads(record["entries"]):
                    if actor is not None and entry["actor"] != actor:
                        continue
                    if after is not None and (entry["at"], entry["entry_id"]) >= after:
                        continue
                    found.setdefault(entry["entry_id"], entry)
            if len(records) < page:
                break
            below = (str(records[-1]["last_at"]), str(records[-1]["batch_id"]))
            if sum(1 for e in found.values() if e["at"] > below[0]) >= first:
                break
            page = min(page * 2, self.MAX_PAGE)
        newest = sorted(found.values(), key=lambda e: (e["at"], e["entry_id"]), reverse=True)
        return newest[:first]

    async def prune(self, before: str, batch: int = 100) -> int:
        """Delete the batches whose newest entry is older than ``before`` (ISO UTC), ``batch``
        nodes a transaction (a batch holds up to a few hundred KB of entries, and Neo4j's
        transaction state for deleting thousands of them outgrew its memory pool); returns
        how many entries went."""
        deleted = 0
        while True:
            records, _, _ = await self._driver.execute_query(
                q("audit.prune_batches").query(), before=before, n=batch,
                database_=self._database,
            )  # fmt: skip
            deleted += int(records[0]["entries"])
            if int(records[0]["batches"]) < batch:
                return deleted


def encode_entry(row: Mapping[str, Any]) -> str:
    """One audit entry as the JSON its batch stores."""
    return json.dumps(row, separators=(",", ":"), ensure_ascii=False)


def batch_params(
    rows: Sequence[dict[str, Any]], encoded: Sequence[str] | None = None
) -> dict[str, Any]:
    """The parameters of ``audit.write_batch`` for these entries (at most a few thousand);
    ``encoded``: the rows already encoded (:func:`encode_entry`, in the same order), which
    spares the writer encoding a thousand rows at once (about 6 ms, in which an API process
    answers nothing)."""
    if encoded is None:
        encoded = [encode_entry(r) for r in rows]
    ids = sorted(str(r["entry_id"]) for r in rows)
    return {
        "batch_id": "audb_" + hashlib.sha256("\n".join(ids).encode()).hexdigest()[:32],
        "first_at": min(str(r["at"]) for r in rows),
        "last_at": max(str(r["at"]) for r in rows),
        "count": len(rows),
        "actors": sorted({str(r["actor"]) for r in rows}),
        "kinds": sorted({str(r["kind"]) for r in rows}),
        "customer_ids": sorted({str(c) for r in rows for c in r.get("customer_ids") or ()}),
        "entries": "[" + ",".join(encoded) + "]",
    }


def new_secret() -> str:
    """A fresh API key secret: 256 random bits, printed once and never stored."""
    return "gcdp_" + secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    """The SHA-256 (hex) of a secret: what the graph stores and looks keys up by. Secrets
    are 256 random bits, so a fast hash is enough (nothing to brute-force, unlike passwords)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()
