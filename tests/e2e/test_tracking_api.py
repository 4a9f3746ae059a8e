"""Every tracking endpoint, batches, limits, CORS and the dead-letter path, end to end."""

from __future__ import annotations

import asyncio
import json
import uuid

import httpx
from aiokafka import AIOKafkaProducer

from graphcdp.settings import Settings
from tests.e2e.graph_check import end_offsets, query, read_since, wait_rows

EVENTS_OF = """
MATCH (c:Customer)-[:PERFORMED]->(e:Event) WHERE e.event_id STARTS WITH $tag
RETURN e.event_id AS id, e.type AS type, e.name AS name, c.customer_id AS customer
ORDER BY id
"""


def _auth(settings: Settings) -> tuple[str, str]:
    return (next(iter(settings.parsed_write_keys())), "")


def test_each_call_type_lands_as_an_event_of_one_customer(service: str, settings: Settings) -> None:
    tag = f"t-{uuid.uuid4().hex[:10]}"
    calls = [
        ("page", {"anonymousId": f"{tag}-anon", "name": "Home", "messageId": f"{tag}-1"}),
        ("screen", {"anonymousId": f"{tag}-anon", "name": "Cart", "messageId": f"{tag}-2"}),
        ("alias", {"userId": f"{tag}-user", "previousId": f"{tag}-anon", "messageId": f"{tag}-3"}),
        (
            "track",
            {
                "userId": f"{tag}-user",
                "event": "Order Completed",
                "properties": {"revenue": 42.5},
                "messageId": f"{tag}-4",
            },
        ),
        (
            "group",
            {
                "userId": f"{tag}-user",
                "groupId": f"{tag}-acme",
                "traits": {"name": "Acme", "plan": "enterprise"},
                "messageId": f"{tag}-5",
            },
        ),
        (
            "identify",
            {
                "userId": f"{tag}-user",
                "traits": {"email": f"{tag}@example.com"},
                "messageId": f"{tag}-6",
            },
        ),
    ]
    for kind, call in calls:
        reply = httpx.post(f"{service}/v1/{kind}", auth=_auth(settings), json=call)
        assert reply.status_code == 200, (kind, reply.text)
    rows = wait_rows(settings, EVENTS_OF, 6, tag=tag)
    assert [(r["type"], r["name"]) for r in rows] == [
        ("page", "Home"),
        ("screen", "Cart"),
        ("alias", None),
        ("track", "Order Completed"),
        ("group", f"{tag}-acme"),
        ("identify", None),
    ]
    # alias joined the anonymous browsing to the user: one customer performed everything.
    deadline_rows = wait_rows(
        settings,
        "MATCH (c:Customer)-[:PERFORMED]->(e:Event) WHERE e.event_id STARTS WITH $tag "
        "AND c.merged_into IS NULL WITH c, count(e) AS n WHERE n = 6 RETURN c.customer_id AS id",
        1,
        tag=tag,
    )
    customer = deadline_rows[0]["id"]
    group = query(
        settings,
        "MATCH (c:Customer {customer_id: $c})-[:IN_GROUP]->(g:Group) RETURN g.group_id AS id, "
        "g.name AS name, g.plan AS plan",
        c=customer,
    )
    assert group == [{"id": f"{tag}-acme", "name": "Acme", "plan": "enterprise"}]
    props = query(
        settings, "MATCH (e:Event {event_id: $id}) RETURN e.properties AS p", id=f"{tag}-4"
    )
    assert json.loads(props[0]["p"]) == {"revenue": 42.5}


def test_a_batch_accepts_good_calls_and_dead_letters_the_bad_ones(
    service: str, settings: Settings
) -> None:
    tag = f"b-{uuid.uuid4().hex[:10]}"
    since = end_offsets(settings, settings.topics.dlq)
    batch = {
        "batch": [
            {"type": "track", "userId": tag, "event": "Signed Up", "messageId": f"{tag}-1"},
            {"type": "track", "userId": tag, "messageId": f"{tag}-bad"},
            {"type": "page", "userId": tag, "name": "Pricing", "messageId": f"{tag}-2"},
        ]
    }
    reply = httpx.post(f"{service}/v1/import", auth=_auth(settings), json=batch)
    assert reply.status_code == 200
    assert reply.json() == {
        "success": True,
        "accepted": 2,
        "rejected": [{"index": 1, "field": "batch[1].event", "reason": "is required"}],
    }
    assert [r["id"] for r in wait_rows(settings, EVENTS_OF, 2, tag=tag)] == [f"{tag}-1", f"{tag}-2"]
    dead = read_since(settings, settings.topics.dlq, since, f"{tag}-bad")
    assert len(dead) == 1
    assert dead[0]["field"] == "batch[1].event"
    assert dead[0]["call"]["messageId"] == f"{tag}-bad"
    assert dead[0]["stage"] == "http"


def test_segment_limits_are_enforced_with_the_size_in_the_reason(
    service: str, settings: Settings
) -> None:
    big = {"userId": "u", "event": "Big", "properties": {"blob": "x" * 33_000}}
    reply = httpx.post(f"{service}/v1/track", auth=_auth(settings), json=big)
    assert reply.status_code == 400
    assert "32 KB" in reply.json()["error"]
    calls = [{"type": "track", "userId": "u", "event": "E", "properties": {"p": "y" * 20_000}}] * 30
    reply = httpx.post(f"{service}/v1/batch", auth=_auth(settings), json={"batch": calls})
    assert reply.status_code == 400
    assert "500 KB" in reply.json()["error"]
    inflated = {"batch": [{"type": "track", "userId": "u", "event": "E",
                           "properties": {"blob": "z" * 40_000}}]}  # fmt: skip
    reply = httpx.post(f"{service}/v1/batch", auth=_auth(settings), json=inflated)
    assert reply.status_code == 200
    assert reply.json()["rejected"][0]["field"] == "batch[0].body"


def test_browsers_get_cors_headers(service: str) -> None:
    reply = httpx.options(
        f"{service}/v1/track",
        headers={
            "Origin": "https://shop.example.com",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert reply.status_code == 200
    assert reply.headers["access-control-allow-origin"] == "*"
    assert "authorization" in reply.headers["access-control-allow-headers"].lower()


def test_poison_messages_go_to_the_dlq_and_the_worker_keeps_going(
    service: str, settings: Settings
) -> None:
    tag = f"p-{uuid.uuid4().hex[:10]}"
    since = end_offsets(settings, settings.topics.dlq)

    async def produce() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks="all")
        await producer.start()
        try:
            await producer.send_and_wait(
                settings.topics.events, f"{{not json {tag}".encode(), key=b"k"
            )
            await producer.send_and_wait(
                settings.topics.events,
                json.dumps({"type": "track", "messageId": f"{tag}-noenv", "userId": tag}).encode(),
                key=b"k",
            )
        finally:
            await producer.stop()

    asyncio.run(produce())
    reply = httpx.post(
        f"{service}/v1/track",
        auth=_auth(settings),
        json={"userId": tag, "event": "After Poison", "messageId": f"{tag}-ok"},
    )
    assert reply.status_code == 200
    assert [r["id"] for r in wait_rows(settings, EVENTS_OF, 1, tag=tag)] == [f"{tag}-ok"]
    dead = read_since(settings, settings.topics.dlq, since, tag)
    dead = [d for d in dead if d.get("group") == settings.worker_group]  # not other groups'
    assert sorted(d["error"].split(":")[0] for d in dead) == ["_graphcdp", "body"]
    for record in dead:
        assert record["topic"] == settings.topics.events
        assert record["stage"] == "worker"
        assert isinstance(record["partition"], int)
        assert isinstance(record["offset"], int)


def test_applied_changes_are_published_on_cdp_changes(service: str, settings: Settings) -> None:
    tag = f"ch-{uuid.uuid4().hex[:10]}"
    since = end_offsets(settings, settings.topics.changes)
    auth = _auth(settings)
    for call in (
        {"userId": f"{tag}-a", "event": "First", "messageId": f"{tag}-1"},
        {"anonymousId": f"{tag}-anon", "event": "Browse", "messageId": f"{tag}-2"},
    ):
        assert httpx.post(f"{service}/v1/track", auth=auth, json=call).status_code == 200
    customers = wait_rows(
        settings,
        "MATCH (c:Customer)-[:PERFORMED]->(e:Event) WHERE e.event_id STARTS WITH $tag "
        "RETURN e.event_id AS id, c.customer_id AS customer ORDER BY id",
        2,
        tag=tag,
    )
    alias = {"userId": f"{tag}-a", "previousId": f"{tag}-anon", "messageId": f"{tag}-3"}
    assert httpx.post(f"{service}/v1/alias", auth=auth, json=alias).status_code == 200
    first, second = customers[0]["customer"], customers[1]["customer"]
    wait_rows(
        settings,
        "MATCH (c:Customer) WHERE c.customer_id IN $ids AND c.merged_into IS NOT NULL RETURN c",
        1,
        ids=[first, second],
    )
    seen = read_since(settings, settings.topics.changes, since, first, timeout=30)
    seen += read_since(settings, settings.topics.changes, since, second, timeout=5)
    changes = list({json.dumps(c, sort_keys=True): c for c in seen}.values())
    kinds = {(c["type"], c["customer_id"]) for c in changes}
    assert ("customer.created", first) in kinds
    assert ("customer.created", second) in kinds
    merged = [c for c in changes if c["type"] == "customer.merged"]
    assert len(merged) == 1
    assert {merged[0]["customer_id"], merged[0]["merged"]} == {first, second}
