from __future__ import annotations

import asyncio
import uuid

import redis.asyncio as aioredis
from opensearchpy import OpenSearch

from graphcdp.settings import Settings


async def test_redis_set_get_expire_and_pubsub(settings: Settings) -> None:
    client = aioredis.Redis.from_url(settings.redis_url)
    key = f"test:{uuid.uuid4().hex}"
    try:
        await client.set(key, "profile-json", ex=30)
        assert await client.get(key) == b"profile-json"
        assert 0 < await client.ttl(key) <= 30
        pubsub = client.pubsub()
        await pubsub.subscribe(key)
        await pubsub.get_message(timeout=1)  # the subscribe confirmation
        assert await client.publish(key, "invalidate") == 1
        message = None
        for _ in range(20):
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.5)
            if message:
                break
            await asyncio.sleep(0.05)
        assert message is not None
        assert message["data"] == b"invalidate"
        await pubsub.aclose()
    finally:
        await client.delete(key)
        await client.aclose()


def test_opensearch_index_and_fuzzy_search(settings: Settings) -> None:
    client = OpenSearch(settings.opensearch_url, timeout=30)
    index = f"test-customers-{uuid.uuid4().hex[:8]}"
    try:
        client.indices.create(index=index, body={"settings": {"number_of_replicas": 0}})
        client.index(
            index=index, body={"name": "Ada Lovelace", "email": "ada@example.com"}, id="c1"
        )
        client.index(
            index=index, body={"name": "Grace Hopper", "email": "grace@example.com"}, id="c2"
        )
        client.indices.refresh(index=index)
        hits = client.search(
            index=index,
            body={"query": {"match": {"name": {"query": "Lovelase", "fuzziness": "AUTO"}}}},
        )["hits"]["hits"]
        assert [h["_id"] for h in hits] == ["c1"]
        health = client.cluster.health()
        assert health["status"] in {"green", "yellow"}
        disk = client.cluster.get_settings(include_defaults=True, flat_settings=True)
        assert disk["persistent"].get(
            "cluster.routing.allocation.disk.threshold_enabled",
            disk["defaults"].get("cluster.routing.allocation.disk.threshold_enabled"),
        ) in {"false", False}
    finally:
        client.indices.delete(index=index, ignore_unavailable=True)
        client.close()
