"""API keys and the audit log in the real Neo4j: hashed keys, revocation, the bootstrap key,
audit entries written in batches and read back newest first, page by page."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from neo4j import AsyncDriver, GraphDatabase

from api.auth import Authenticator, Caller, Unauthenticated
from graph.driver import auth
from graph.model import now_iso
from graph.repository import (
    ApiKeyExists,
    ApiKeyRepository,
    AuditRepository,
    StoredKey,
    hash_secret,
    new_secret,
)
from graph.schema import migrate_audit_entries
from graphcdp.settings import Settings
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


async def _drop_batches(driver: AsyncDriver, actor: str) -> None:
    await driver.execute_query(
        "MATCH (b:AuditBatch) WHERE $actor IN b.actors DETACH DELETE b", actor=actor
    )


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
        again = await store.write(rows[:1])  # a retried entry is harmless: it shows once
        assert again == 1
        first = await store.entries(3, None, actor)
        assert [r["operation"] for r in first] == ["Op4", "Op3", "Op2"]
        assert first[0]["fields"] == ["Mutation.splitCustomer"]
        assert first[0]["customer_ids"] == ["cus_4"]
        after = (first[-1]["at"], first[-1]["entry_id"])
        rest = await store.entries(3, after, actor)
        assert [r["operation"] for r in rest] == ["Op1", "Op0"]
        batches, _, _ = await driver.execute_query(
            "MATCH (b:AuditBatch) WHERE $actor IN b.actors "
            "RETURN b.count AS n, b.kinds AS kinds, b.customer_ids AS customers",
            actor=actor,
        )
        # Fewer nodes than entries: a flush is one node (the five took one to five flushes).
        assert sum(b["n"] for b in batches) == 6
        assert {k for b in batches for k in b["kinds"]} == {"mutation"}
        assert {c for b in batches for c in b["customers"]} == {f"cus_{n}" for n in range(5)}
    finally:
        await _drop_batches(driver, actor)


async def test_audit_pages_interleave_overlapping_batches(driver: AsyncDriver) -> None:
    # Two API processes flush batches whose times overlap; a page is still the newest
    # entries, read in several rounds of one batch each. (Dated in 2999: newer than any
    # entry other tests leave, so the page without an actor is this test's own.)
    store = AuditRepository(driver, "neo4j")
    store.PAGE = store.MAX_PAGE = 1
    actor = f"key:it-{uuid.uuid4().hex[:10]}"
    other = f"key:other-{uuid.uuid4().hex[:10]}"

    def entry(n: int, who: str = actor) -> dict[str, object]:
        return {"entry_id": f"aud_{actor}_{n:02d}", "at": f"2999-01-01T00:00:{n:02d}.000Z",
                "actor": who, "role": "admin", "operation": f"Op{n}", "kind": "pii_read",
                "fields": ["Customer.email"], "customer_ids": [f"cus_{n}"]}  # fmt: skip

    try:
        await store.write([entry(1), entry(3), entry(5), entry(7)])
        await store.write([entry(2), entry(4), entry(6, other), entry(8)])
        await store.write([entry(9, other)])
        seen = []
        after = None
        while page := await store.entries(2, after, actor):
            seen.append([e["operation"] for e in page])
            after = (page[-1]["at"], page[-1]["entry_id"])
        assert seen == [["Op8", "Op7"], ["Op5", "Op4"], ["Op3", "Op2"], ["Op1"]]
        everyone = await store.entries(3)
        assert [e["operation"] for e in everyone] == ["Op9", "Op8", "Op7"]
    finally:
        await _drop_batches(driver, actor)
        await _drop_batches(driver, other)


async def test_schema_apply_moves_the_old_one_node_an_entry_log_into_batches(
    settings: Settings, driver: AsyncDriver
) -> None:
    actor = f"key:legacy-{uuid.uuid4().hex[:10]}"
    ids = [f"aud_{actor}_{n}" for n in range(5)]
    await driver.execute_query(
        "UNWIND range(0, 4) AS n CREATE (:AuditEntry {entry_id: $ids[n], "
        "at: '2026-01-0' + toString(n + 1) + 'T00:00:00.000Z', actor: $actor, role: 'admin', "
        "operation: 'Old' + toString(n), kind: 'mutation', fields: ['Mutation.x'], "
        "customer_ids: ['cus_' + toString(n)]})",
        ids=ids, actor=actor,
    )  # fmt: skip
    try:
        with GraphDatabase.driver(settings.neo4j_uri, auth=auth(settings)) as sync:
            assert migrate_audit_entries(sync, settings.neo4j_database, chunk=2) >= 5
            assert migrate_audit_entries(sync, settings.neo4j_database) == 0
        left, _, _ = await driver.execute_query(
            "MATCH (a:AuditEntry) WHERE a.entry_id IN $ids RETURN count(a) AS n", ids=ids
        )
        assert left[0]["n"] == 0
        moved = await AuditRepository(driver, "neo4j").entries(10, None, actor)
        assert [e["operation"] for e in moved] == [f"Old{n}" for n in (4, 3, 2, 1, 0)]
        assert moved[0] == {
            "entry_id": ids[4], "at": "2026-01-05T00:00:00.000Z", "actor": actor,
            "role": "admin", "operation": "Old4", "kind": "mutation",
            "fields": ["Mutation.x"], "customer_ids": ["cus_4"],
        }  # fmt: skip
    finally:
        await _drop_batches(driver, actor)
        await _delete(driver, "AuditEntry", "entry_id", ids)
