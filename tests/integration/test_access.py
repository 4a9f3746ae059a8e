"""API keys and the audit log in the real Neo4j: hashed keys, revocation, the bootstrap key,
audit entries written in batches and read back newest first, page by page."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from neo4j import AsyncDriver

from api.auth import Authenticator, Caller, Unauthenticated
from graph.model import now_iso
from graph.repository import (
    ApiKeyExists,
    ApiKeyRepository,
    AuditRepository,
    StoredKey,
    hash_secret,
    new_secret,
)
from resolvers.audit.trail import Access, AuditLog, audit_row


async def _delete(driver: AsyncDriver, label: str, key: str, values: list[str]) -> None:
    """Remove the nodes this test created (and only those)."""
    await driver.execute_query(
        f"MATCH (n:{label}) WHERE n.{key} IN $values DETACH DELETE n", values=values
    )


async def test_keys_are_stored_hashed_found_by_hash_and_revoked(driver: AsyncDriver) -> None:
    keys = ApiKeyRepository(driver, "neo4j")
    tag = uuid.uuid4().hex[:10]
    name, secret = f"it-{tag}", new_secret()
    try:
        created = await keys.create(name, "analyst", hash_secret(secret))
        assert (created["name"], created["role"]) == (name, "analyst")
        with pytest.raises(ApiKeyExists):
            await keys.create(name, "admin", hash_secret(new_secret()))
        stored, _, _ = await driver.execute_query(
            "MATCH (k:ApiKey {name: $name}) RETURN properties(k) AS p", name=name
        )
        props = stored[0]["p"]
        assert secret not in props.values()  # never the secret at rest
        assert props["key_hash"] == hash_secret(secret)
        assert len(props["key_hash"]) == 64
        assert await keys.find(hash_secret(secret)) == StoredKey(name, "analyst", False)
        assert await keys.find(hash_secret("gcdp_unknown")) is None
        listed = {r["name"]: r for r in await keys.keys()}
        assert listed[name]["revoked"] is False
        assert listed[name]["bootstrap"] is False
        auth = Authenticator(keys, None, ttl=0.01)
        assert await auth.caller({"x-api-key": secret}) == Caller(f"key:{name}", "analyst")
        assert await keys.revoke(name) is True
        assert await keys.revoke(f"none-{tag}") is False
        assert await keys.find(hash_secret(secret)) == StoredKey(name, "analyst", True)
        await asyncio.sleep(0.02)
        with pytest.raises(Unauthenticated, match="revoked API key"):
            await auth.caller({"authorization": f"Bearer {secret}"})
    finally:
        await _delete(driver, "ApiKey", "name", [name])


async def test_the_bootstrap_key_is_stored_once_by_its_hash_and_stays_revoked(
    driver: AsyncDriver,
) -> None:
    keys = ApiKeyRepository(driver, "neo4j")
    first, second = new_secret(), new_secret()
    names = [f"bootstrap-admin-{hash_secret(s)[:8]}" for s in (first, second)]
    try:
        stored = await keys.put_bootstrap(hash_secret(first))
        assert stored == StoredKey(names[0], "admin", False)
        assert await keys.put_bootstrap(hash_secret(first)) == stored  # idempotent
        assert await keys.find(hash_secret(first)) == stored
        # Another process with another setting adds its key; neither takes the other's away.
        assert await keys.put_bootstrap(hash_secret(second)) == StoredKey(names[1], "admin", False)
        assert await keys.find(hash_secret(first)) == stored
        listed = {r["name"]: r for r in await keys.keys()}
        assert listed[names[0]]["bootstrap"] is True
        # A revoked bootstrap key is not brought back by the next start.
        await keys.revoke(names[0])
        assert (await keys.put_bootstrap(hash_secret(first))).revoked is True
        assert await keys.find(hash_secret(first)) == StoredKey(names[0], "admin", True)
    finally:
        await _delete(driver, "ApiKey", "name", names)


async def test_audit_entries_are_batched_and_read_newest_first_by_page(
    driver: AsyncDriver,
) -> None:
    store = AuditRepository(driver, "neo4j")
    actor = f"key:it-{uuid.uuid4().hex[:10]}"
    log = AuditLog(store, interval=0.05)
    rows = []
    async with log.running():
        for n in range(5):
            access = Access()
            access.call("Mutation.splitCustomer", [f"cus_{n}"])
            row = audit_row(access, "mutation", actor, "admin", f"Op{n}", now_iso())
            rows.append(row)
            log.record(row)
            await asyncio.sleep(0.002)  # distinct timestamps (millisecond resolution)
    try:
        assert log.pending == 0
        again = await store.write(rows[:1])  # a retried batch is harmless
        assert again == 1
        first = await store.entries(3, None, actor)
        assert [r["operation"] for r in first] == ["Op4", "Op3", "Op2"]
        assert first[0]["fields"] == ["Mutation.splitCustomer"]
        assert first[0]["customer_ids"] == ["cus_4"]
        after = (first[-1]["at"], first[-1]["entry_id"])
        rest = await store.entries(3, after, actor)
        assert [r["operation"] for r in rest] == ["Op1", "Op0"]
        counted, _, _ = await driver.execute_query(
            "MATCH (a:AuditEntry {actor: $actor}) RETURN count(a) AS n", actor=actor
        )
        assert counted[0]["n"] == 5
    finally:
        await _delete(driver, "AuditEntry", "entry_id", [r["entry_id"] for r in rows])
