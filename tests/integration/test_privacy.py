"""Privacy in the real graph, Redis and OpenSearch: consent from messages, erasure that leaves
nothing of the person, suppression of their replayed messages, and the access export."""

from __future__ import annotations

import functools
import io
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from neo4j import AsyncDriver
from redis.asyncio import Redis

from graph.cache import CacheConfig, ProfileCache
from graph.model import Observation
from graph.repository import AuditRepository, IdentityRepository, ProfileRepository
from graph.repository.privacy import PrivacyRepository
from graph.search import DocumentReader, OpenSearchIndex, SearchFilter, sync
from graphcdp.settings import Settings
from ingest.planning import plan_batch
from ingest.spec import observation
from matching.rules import DEFAULT_RULES
from privacy.consent import current
from privacy.erase import erase_customer
from privacy.export import export_document
from privacy.jobs import export_all
from privacy.suppression import Suppressor

SUPPRESSOR = Suppressor(b"integration-test-privacy-key-0123456789")


def _call(message_id: str, at: str, **fields: Any) -> Observation:
    body = {"messageId": message_id, "timestamp": at, **fields,
            "_graphcdp": {"source": "web", "receivedAt": at}}  # fmt: skip
    return observation(body)


async def _apply(repo: IdentityRepository, *batch: Observation) -> Any:
    return await repo.apply(list(batch), functools.partial(plan_batch, rules=DEFAULT_RULES))


async def _customer_of(driver: AsyncDriver, key: str) -> str | None:
    records, _, _ = await driver.execute_query(
        "MATCH (:Identifier {key: $key})<-[:HAS_IDENTIFIER]-(:Record)-[:BELONGS_TO]->(c) "
        "RETURN DISTINCT c.customer_id AS id",
        key=key,
    )
    return records[0]["id"] if records else None


@pytest.fixture
async def redis(settings: Settings) -> AsyncIterator[Redis]:
    client = Redis.from_url(settings.redis_url)
    yield client
    await client.aclose()


@pytest.fixture
async def search(settings: Settings) -> AsyncIterator[OpenSearchIndex]:
    assert settings.opensearch_url
    index = OpenSearchIndex(
        settings.opensearch_url, f"graphcdp-test-privacy-{uuid.uuid4().hex[:6]}"
    )
    await index.ensure_index()
    yield index
    await index.drop_index()
    await index.close()


async def test_consent_comes_from_messages_follows_merges_and_the_latest_wins(
    driver: AsyncDriver,
) -> None:
    tag = uuid.uuid4().hex[:10]
    repo = IdentityRepository(driver, "neo4j", SUPPRESSOR)
    # A visitor grants advertising in the cookie banner (Segment consent, categoryPreferences).
    await _apply(
        repo,
        _call(
            f"{tag}-1",
            "2026-11-01T10:00:00Z",
            type="track",
            event="Viewed",
            anonymousId=f"anon-{tag}",
            context={"consent": {"categoryPreferences": {"Advertising": True}}},
        ),
    )
    # A known user states marketing and analytics, then revokes marketing in a later event.
    await _apply(repo, _call(f"{tag}-2", "2026-11-02T10:00:00Z", type="identify",
                             userId=f"user-{tag}", traits={"email": f"{tag}@example.com"},
                             context={"consent": {"categoryPreferences": {
                                 "Marketing": True, "Analytics": False}}}))  # fmt: skip
    await _apply(repo, _call(f"{tag}-3", "2026-11-03T10:00:00Z", type="track",
                             event="Consent Updated", userId=f"user-{tag}",
                             properties={"consent": {"purposes": {"marketing": {
                                 "status": "revoked"}}}}))  # fmt: skip
    # Logging in joins the visitor to the user: the consent of both is one customer's.
    await _apply(
        repo,
        _call(
            f"{tag}-4",
            "2026-11-04T10:00:00Z",
            type="identify",
            userId=f"user-{tag}",
            anonymousId=f"anon-{tag}",
        ),
    )
    customer = await _customer_of(driver, f"user_id:user-{tag}")
    assert customer is not None
    assert customer == await _customer_of(driver, f"anonymous_id:anon-{tag}")
    history = (await ProfileRepository(driver, "neo4j").consents([customer]))[customer]
    assert [(c.purpose, c.status) for c in history] == [
        ("advertising", "granted"), ("analytics", "denied"), ("marketing", "granted"),
        ("marketing", "revoked"),
    ]  # fmt: skip
    now = {p: (c.status, c.source) for p, c in current(history).items()}
    assert now == {"advertising": ("granted", "web"), "analytics": ("denied", "web"),
                   "marketing": ("revoked", "web")}  # fmt: skip


async def _everything_with(driver: AsyncDriver, needles: list[str]) -> list[dict[str, Any]]:
    """Every node or relationship with a property whose text contains one of ``needles``."""
    records, _, _ = await driver.execute_query(
        "CALL () { MATCH (n) RETURN labels(n) AS kind, properties(n) AS props "
        "UNION ALL MATCH ()-[r]->() RETURN [type(r)] AS kind, properties(r) AS props } "
        "WITH kind, props, apoc.convert.toJson(props) AS text "
        "WHERE any(needle IN $needles WHERE text CONTAINS needle) "
        "RETURN kind, props",
        needles=needles,
    )
    return [r.data() for r in records]


async def test_erasure_leaves_nothing_of_the_person_and_their_replays_are_dropped(
    driver: AsyncDriver, redis: Redis, search: OpenSearchIndex, settings: Settings
) -> None:
    tag = uuid.uuid4().hex[:10]
    repo = IdentityRepository(driver, "neo4j", SUPPRESSOR)
    shared_phone, shared_device = f"+1415555{int(tag[:6], 16) % 10_000:04d}", f"tablet-{tag}"
    person = [
        # An anonymous visit on the person's own phone, then on the family tablet.
        _call(f"{tag}-p1", "2026-11-01T10:00:00Z", type="page", name="Home",
              anonymousId=f"anon-{tag}", context={"device": {"id": f"phone-{tag}"}}),
        _call(f"{tag}-p2", "2026-11-01T11:00:00Z", type="track", event="Viewed",
              anonymousId=f"anon-{tag}", context={"device": {"id": shared_device}}),
        # They sign up: a second customer (email, phone, name) ...
        _call(f"{tag}-p3", "2026-11-02T10:00:00Z", type="identify", userId=f"user-{tag}",
              traits={"email": f"erase-{tag}@example.com", "phone": shared_phone,
                      "first_name": f"Eraseme{tag}", "city": "Oslo"},
              context={"consent": {"categoryPreferences": {"Marketing": True}}}),
        # ... merged with the visitor when they log in on the phone.
        _call(f"{tag}-p4", "2026-11-02T11:00:00Z", type="identify", userId=f"user-{tag}",
              anonymousId=f"anon-{tag}"),
        _call(f"{tag}-p5", "2026-11-03T10:00:00Z", type="group", userId=f"user-{tag}",
              groupId=f"home-{tag}", traits={"type": "household", "address": f"{tag} Lane"}),
        _call(f"{tag}-p6", "2026-11-03T11:00:00Z", type="track", event="Order Completed",
              userId=f"user-{tag}", properties={"revenue": 42}),
    ]  # fmt: skip
    other = [
        # A family member: the same phone and tablet, and their own company group.
        _call(f"{tag}-o1", "2026-11-02T12:00:00Z", type="identify", userId=f"other-{tag}",
              traits={"email": f"other-{tag}@example.com", "phone": shared_phone},
              context={"device": {"id": shared_device}}),
    ]  # fmt: skip
    for message in person[:4]:
        await _apply(repo, message)
    await _apply(repo, *person[4:], *other)
    erased_id = await _customer_of(driver, f"user_id:user-{tag}")
    other_id = await _customer_of(driver, f"user_id:other-{tag}")
    assert erased_id
    assert other_id
    assert erased_id != other_id
    # The person is a segment member with history, read through the cache and indexed.
    await driver.execute_query(
        "MATCH (c:Customer {customer_id: $c}) MERGE (s:Segment {segment_id: $s}) "
        "SET s.name = $s, s.deleted_at = '2026-11-04T00:00:00.000Z' "  # no follower evaluates it
        "MERGE (c)-[:MEMBER_OF {since: '2026-11-03'}]->(s) "
        "CREATE (:MembershipChange {segment_id: $s, customer_id: $c, kind: 'enter', seq: 1, "
        "at: '2026-11-03T12:00:00Z'})",
        c=erased_id, s=f"seg_{tag}",
    )  # fmt: skip
    profiles = ProfileRepository(driver, "neo4j")
    cache = ProfileCache(profiles, redis, CacheConfig())
    assert await cache.profile_by_identifier(f"email:erase-{tag}@example.com") is not None
    reader = DocumentReader(driver, "neo4j", ())
    await sync([erased_id, other_id], reader, search)
    before = await PrivacyRepository(driver, "neo4j").export(erased_id)
    assert before is not None
    assert len(before["ids"]) == 2

    audit = AuditRepository(driver, "neo4j")
    done = await erase_customer(
        PrivacyRepository(driver, "neo4j"), before["ids"][1],
        hash_of=SUPPRESSOR.hash, caches=cache, search=search, changes=None, notify=None,
        dead_letter=None, audit=audit.write, actor="key:test", role="admin",
        reference=f"DSR-{tag}", settle=0.05,
    )  # fmt: skip
    assert done is not None
    assert done.customer_id == erased_id
    counts = dict(done.counts)
    assert counts["customers"] == 2
    assert counts["records"] >= 2
    assert counts["events"] == 6
    # user, email, anonymous id (the phone is shared); own devices: the phone and the browser
    # known by the anonymous id (the tablet is shared).
    assert (counts["identifiers"], counts["devices"], done.suppressed) == (3, 2, 3)
    assert counts["consent_changes"] == 1
    assert counts["membership_changes"] == 1

    # Neo4j: no node or relationship holds a value or an id of the person.
    needles = [
        f"user-{tag}",
        f"erase-{tag}",
        f"anon-{tag}",
        f"Eraseme{tag}",
        f"phone-{tag}",
        f"home-{tag}",
        f"{tag} Lane",
        *before["ids"],
        *(f"{tag}-p{i}" for i in range(1, 7)),
    ]
    left = await _everything_with(driver, needles)
    # What stays: the audit entry of the erasure itself (ids and counts, no values).
    assert [x["kind"] for x in left] == [["AuditBatch"]], left
    assert left[0]["props"]["kinds"] == ["erasure"]
    [entry] = json.loads(left[0]["props"]["entries"])
    assert entry["operation"] == "privacy.erase"
    assert f"reference=DSR-{tag}" in entry["fields"]
    assert not any(n in json.dumps(entry) for n in needles if n not in before["ids"])
    # The family member keeps the shared phone and tablet, and is whole.
    records, _, _ = await driver.execute_query(
        "MATCH (c:Customer {customer_id: $c}) RETURN "
        "EXISTS { (c)<-[:BELONGS_TO]-(:Record)-[:HAS_IDENTIFIER]->(:Identifier {key: $phone}) } "
        "AS phone, EXISTS { (c)-[:USES_DEVICE]->(:Device {device_id: $tablet}) } AS tablet",
        c=other_id, phone=f"phone:{shared_phone}", tablet=shared_device,
    )  # fmt: skip
    assert records[0].data() == {"phone": True, "tablet": True}
    # Redis: no key or value names the person.
    async for key in redis.scan_iter(match="graphcdp:*", count=1000):
        value = await redis.get(key) if await redis.type(key) == b"string" else b""
        text = key.decode() + (value or b"").decode(errors="replace")
        assert not any(n in text for n in needles), key
    # OpenSearch: the document is gone; the family member's stays.
    url = str(settings.opensearch_url)
    assert [h.customer_id for h in (await _search(search, url, f"erase-{tag}@example.com"))] == []
    assert [h.customer_id for h in (await _search(search, url, f"other-{tag}@example.com"))] == [
        other_id
    ]

    # Replays and late messages that bear the person's identifiers are dropped and counted;
    # the family member's messages still apply.
    late = _call(f"{tag}-late", "2026-11-05T10:00:00Z", type="identify", anonymousId=f"anon-{tag}",
                 traits={"email": f"new-{tag}@example.com"})  # fmt: skip
    again = await _apply(repo, *person, late)
    assert sorted(again.suppressed) == sorted([*(m.record_id for m in person), late.record_id])
    assert again.written == {}
    assert again.events == {}
    assert await _customer_of(driver, f"email:new-{tag}@example.com") is None
    assert await _everything_with(driver, [f"user-{tag}", f"new-{tag}"]) == []
    hashes = [SUPPRESSOR.hash(k) for k in (f"user_id:user-{tag}", f"anonymous_id:anon-{tag}")]
    kept = await PrivacyRepository(driver, "neo4j").suppressions(hashes)
    assert {h: s["dropped"] >= 1 for h, s in kept.items()} == {h: True for h in hashes}
    after = await _apply(repo, _call(f"{tag}-o2", "2026-11-05T11:00:00Z", type="track",
                                     event="Viewed", userId=f"other-{tag}"))  # fmt: skip
    assert after.events == {f"{tag}-o2": other_id}


async def _search(index: OpenSearchIndex, url: str, text: str) -> Any:
    """The hits for ``text`` once the index has made its last writes searchable."""
    async with httpx.AsyncClient() as client:
        (await client.post(f"{url}/{index.name}/_refresh")).raise_for_status()
    return (await index.search(text, SearchFilter(), 10, None)).hits


async def test_the_export_holds_everything_with_provenance(driver: AsyncDriver) -> None:
    tag = uuid.uuid4().hex[:10]
    repo = IdentityRepository(driver, "neo4j", SUPPRESSOR)
    await _apply(repo, _call(f"{tag}-1", "2026-11-02T10:00:00Z", type="identify",
                             userId=f"user-{tag}",
                             traits={"email": f"x-{tag}@example.com", "first_name": "Ada"},
                             context={"consent": {"purposes": {"analytics": {
                                 "status": "granted", "expiresAt": "2027-01-01"}}}}))  # fmt: skip
    await _apply(repo, _call(f"{tag}-2", "2026-11-03T10:00:00Z", type="track",
                             event="Order Completed", userId=f"user-{tag}",
                             properties={"revenue": 9.5}))  # fmt: skip
    customer = await _customer_of(driver, f"user_id:user-{tag}")
    assert customer is not None
    row = await PrivacyRepository(driver, "neo4j").export(customer)
    assert row is not None
    doc = export_document(row, trait_names=("event_count",), exported_at="2026-12-01T00:00:00Z",
                          opt_in=frozenset({"marketing"}))  # fmt: skip
    assert doc["customer_id"] == customer
    assert doc["merged_ids"] == []
    email = doc["attributes"]["email"]
    assert email["value"] == f"x-{tag}@example.com"
    assert email["provenance"]["record_id"] == f"{tag}-1"
    assert [i["key"] for i in doc["identifiers"]] == [f"email:x-{tag}@example.com",
                                                      f"user_id:user-{tag}"]  # fmt: skip
    assert [(e.get("name"), e["properties"]) for e in doc["events"]] == [
        (None, {}), ("Order Completed", {"revenue": 9.5})]  # fmt: skip
    assert doc["records"][0]["attributes"]["traits"]["first_name"] == "Ada"
    assert doc["consent"]["current"] == [{
        "purpose": "analytics", "status": "granted", "source": "web",
        "at": "2026-11-02T10:00:00.000Z", "expires_at": "2027-01-01T00:00:00.000Z",
        "allowed": True,
    }]  # fmt: skip
    assert doc["traits"] == {"event_count": 2}
    json.dumps(doc)  # one JSON document


async def test_the_bulk_export_masks_pii_and_leaves_out_who_refused_the_purpose(
    driver: AsyncDriver, settings: Settings
) -> None:
    tag = uuid.uuid4().hex[:10]
    repo = IdentityRepository(driver, "neo4j", SUPPRESSOR)
    for who, analytics in (("in", True), ("out", False)):
        await _apply(repo, _call(f"{tag}-{who}", "2026-11-02T10:00:00Z", type="identify",
                                 userId=f"{who}-{tag}",
                                 traits={"email": f"{who}-{tag}@example.com", "lastName": "Lee"},
                                 context={"consent": {"categoryPreferences": {
                                     "Analytics": analytics}}}))  # fmt: skip
    out = io.StringIO()
    done = await export_all(settings, out, masked=True, purpose="analytics")
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(lines) == done.exported
    assert done.withheld >= 1
    inside = await _customer_of(driver, f"user_id:in-{tag}")
    outside = await _customer_of(driver, f"user_id:out-{tag}")
    [line] = [x for x in lines if x["customer_id"] == inside]
    assert sorted(line["identifiers"]) == ["email:i***@e***.com", f"user_id:in-{tag}"]
    assert line["attributes"] == {"email": "i***@e***.com", "last_name": "L**"}
    assert all(x["customer_id"] != outside for x in lines)
