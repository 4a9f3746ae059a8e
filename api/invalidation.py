"""Keeping every API process's profile cache current: ``cdp.changes`` and Redis pub/sub.

The API processes form one consumer group on ``cdp.changes`` (``GRAPHCDP_CACHE_GROUP``), so
each change is read by one of them, which removes the customers' profiles from Redis and its
own memory and publishes their ids on the ``graphcdp:invalidate`` channel; every API process
(itself included) removes them from its memory on that message and hands them to its
``customerChanged`` subscriptions. Segment enters and exits go on ``graphcdp:segments`` the
same way, for ``segmentMembershipChanged``. Offsets are committed after
the invalidation; a process that cannot reach Redis leaves the group until it can, so its
partitions go to one that can. A new group starts at the topic's end.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

from aiokafka import AIOKafkaConsumer
from redis.exceptions import RedisError

from graph.cache import CHANNEL, PREFIX, ProfileCache
from graphcdp.settings import Settings
from ingest.producer import changes_consumer
from resolvers.hub import ChangeHub

log = logging.getLogger(__name__)
SEGMENTS = PREFIX + "segments"  # Redis channel of segment enters and exits, for subscriptions

# Fields of a change message that name a customer whose profile it changes (ingest.worker's
# and the split mutation's messages).
_ID_FIELDS = ("customer_id", "merged", "split_from")
_LIST_FIELDS = ("parts", "erased_ids")


def changed_customers(change: dict[str, Any]) -> set[str]:
    """Every customer id a change message names."""
    ids = {str(change[f]) for f in _ID_FIELDS if isinstance(change.get(f), str)}
    for f in _LIST_FIELDS:
        values = change.get(f)
        if isinstance(values, list):
            ids |= {str(v) for v in values if isinstance(v, str)}
    return ids


def membership(change: dict[str, Any]) -> dict[str, str] | None:
    """A ``segment.entered`` / ``segment.exited`` change as {segment_id, customer_id, kind,
    at}; None for any other change."""
    kind = {"segment.entered": "entered", "segment.exited": "exited"}.get(str(change.get("type")))
    sid, cid = change.get("segment_id"), change.get("customer_id")
    if kind is None or not isinstance(sid, str) or not isinstance(cid, str):
        return None
    return {"segment_id": sid, "customer_id": cid, "kind": kind, "at": str(change.get("at", ""))}


@contextlib.asynccontextmanager
async def follow_changes(
    settings: Settings, cache: ProfileCache, redis: Any, hub: ChangeHub | None = None
) -> AsyncIterator[None]:
    """Run both listeners while the app lives; they stop with it."""
    consumer = changes_consumer(settings, settings.cache_group)
    await consumer.start()
    tasks = [
        asyncio.create_task(_from_kafka(consumer, settings.topics.changes, cache, redis),
                            name="cache-invalidation-kafka"),
        asyncio.create_task(_from_redis(redis, cache, hub or ChangeHub()),
                            name="cache-invalidation-redis"),
    ]  # fmt: skip
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await consumer.stop()


async def _from_kafka(
    consumer: AIOKafkaConsumer, topic: str, cache: ProfileCache, redis: Any, retry: float = 1.0
) -> None:
    """Invalidate for every change, committing only what was invalidated. A process that
    cannot reach Redis is in the group only while it can: when Redis fails it leaves, so its
    partitions (from their last commit, the failed batch included) go to a process that can,
    and it joins again once Redis answers."""
    while True:
        if not await _answers(redis):
            await asyncio.sleep(retry)
            continue
        consumer.subscribe([topic])
        try:
            while True:
                batches = await consumer.getmany(timeout_ms=200, max_records=1000)
                ids: set[str] = set()
                memberships: list[dict[str, str]] = []
                for messages in batches.values():
                    for message in messages:
                        try:
                            change = json.loads(message.value)
                            ids |= changed_customers(change)
                        except (ValueError, TypeError):
                            log.warning("unreadable change at offset %d: ignored", message.offset)
                            continue
                        if (found := membership(change)) is not None:
                            memberships.append(found)
                if ids:
                    await cache.invalidate(ids)
                if memberships:  # to every API process's segmentMembershipChanged
                    await redis.publish(SEGMENTS, json.dumps(memberships))
                if batches:
                    await consumer.commit()
        except (RedisError, OSError) as err:
            log.warning("cache invalidation: Redis fails (%s); leaving the group meanwhile", err)
            consumer.unsubscribe()


def _channel(message: dict[str, Any]) -> str:
    channel = message.get("channel")
    return channel.decode() if isinstance(channel, bytes) else str(channel)


async def _answers(redis: Any) -> bool:
    try:
        await redis.ping()
    except (RedisError, OSError):
        return False
    return True


async def _from_redis(redis: Any, cache: ProfileCache, hub: ChangeHub, retry: float = 1.0) -> None:
    """Listen on the channel; while Redis is unreachable, try again every ``retry`` s (the
    API serves meanwhile, from memory and Neo4j, and /readyz says Redis is down). Each
    message's customers are forgotten here, then handed to their subscriptions (``hub``)."""
    while True:
        pubsub = redis.pubsub()
        try:
            await pubsub.subscribe(CHANNEL, SEGMENTS)
            async for message in pubsub.listen():
                if message.get("type") != "message":
                    continue
                try:
                    ids = json.loads(message["data"])
                except (ValueError, TypeError):
                    continue
                if _channel(message) == SEGMENTS:
                    for m in ids if isinstance(ids, list) else []:
                        if isinstance(m, dict) and isinstance(m.get("segment_id"), str):
                            hub.publish([f"segment:{m['segment_id']}"], m)
                    continue
                if isinstance(ids, list):
                    changed = [str(i) for i in ids]
                    cache.forget(changed)
                    hub.publish(changed)
        except (RedisError, OSError) as err:
            log.warning("cache invalidation channel: %s; again in %.0f s", err, retry)
            # What was missed while away: forget every profile this process holds.
            cache.forget_all()
            await asyncio.sleep(retry)
        finally:
            with contextlib.suppress(RedisError, OSError):
                await pubsub.aclose()
