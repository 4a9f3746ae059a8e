"""Keeping the OpenSearch customer index current from ``cdp.changes``.

Runs inside the API processes, beside the cache invalidation (``api.invalidation``), rather
than in the worker: the lifespan is the one place that decides which search backend serves,
and only the OpenSearch one needs following (Neo4j's full-text index is updated in the
worker's own transaction); the worker's batches stay as short as they are, and an indexing
hiccup never holds back ingestion. The API processes form one consumer group
(``GRAPHCDP_SEARCH_GROUP``), so each change is indexed once whatever their number.

A batch of changes (up to 500) names customers; their documents are read from Neo4j in one
query and sent to OpenSearch in one bulk request, merged-away ids deleted (``sync``); the
offsets are committed only then. A failure keeps the batch and tries it again (backing off up
to 30 s) without committing; should the partitions move meanwhile, the new owner reads the
batch again (indexing is idempotent). A new group starts at the topic's end: fill the index
with ``graphcdp search reindex``.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener
from aiokafka.errors import CommitFailedError, IllegalStateError, KafkaError
from neo4j.exceptions import Neo4jError

from api.invalidation import changed_customers
from graph.driver import UNAVAILABLE
from graph.search import SearchIndex, SearchUnavailable, sync
from graph.search.documents import DocumentSource
from graphcdp.settings import Settings
from ingest.producer import changes_consumer

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass
class FollowerStats:
    """What the follower did (``/metrics``)."""

    assigned: int = -1  # partitions held; -1 until the group is first joined
    indexed: int = 0
    deleted: int = 0
    failures: int = 0

    def prometheus(self) -> str:
        return (
            f"graphcdp_search_partitions {self.assigned}\n"
            f"graphcdp_search_indexed_total {self.indexed}\n"
            f"graphcdp_search_deleted_total {self.deleted}\n"
            f"graphcdp_search_failures_total {self.failures}\n"
        )


class _Assigned(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, consumer: AIOKafkaConsumer, stats: FollowerStats) -> None:
        self._consumer = consumer
        self._stats = stats

    async def on_partitions_revoked(self, revoked: Any) -> None:
        return None

    async def on_partitions_assigned(self, assigned: Any) -> None:
        self._stats.assigned = len(self._consumer.assignment())


@contextlib.asynccontextmanager
async def follow_for_search(
    settings: Settings, reader: DocumentSource, index: SearchIndex, stats: FollowerStats
) -> AsyncIterator[None]:
    """Index changed customers while the app lives."""
    consumer = changes_consumer(settings, settings.search_group)
    await consumer.start()
    consumer.subscribe([settings.topics.changes], listener=_Assigned(consumer, stats))
    task = asyncio.create_task(_follow(consumer, reader, index, stats), name="search-follower")
    try:
        yield
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await consumer.stop()


async def _follow(
    consumer: AIOKafkaConsumer,
    reader: DocumentSource,
    index: SearchIndex,
    stats: FollowerStats,
    batch: int = 500,
) -> None:
    await _until_done(index.ensure_index, "creating the index", stats)
    while True:
        batches = await consumer.getmany(timeout_ms=200, max_records=batch)
        if not batches:
            continue
        ids: set[str] = set()
        for messages in batches.values():
            for message in messages:
                try:
                    ids |= changed_customers(json.loads(message.value))
                except (ValueError, TypeError):
                    log.warning("unreadable change at offset %d: ignored", message.offset)
        done = await _until_done(
            functools.partial(sync, sorted(ids), reader, index),
            f"indexing {len(ids)} customers",
            stats,
        )
        stats.indexed += done.indexed
        stats.deleted += done.deleted
        try:
            await consumer.commit({tp: msgs[-1].offset + 1 for tp, msgs in batches.items()})
        except (CommitFailedError, IllegalStateError) as err:
            log.warning("search: commit after rebalance failed (%s); the new owner reindexes", err)


async def _until_done(call: Callable[[], Awaitable[T]], what: str, stats: FollowerStats) -> T:
    """``call()`` again, backing off up to 30 s, until OpenSearch and Neo4j let it finish."""
    wait = 0.5
    while True:
        try:
            return await call()
        except (SearchUnavailable, Neo4jError, *UNAVAILABLE, KafkaError, OSError) as err:
            stats.failures += 1
            log.warning("search: %s failed (%s); again in %.1f s", what, err, wait)
            await asyncio.sleep(wait)
            wait = min(wait * 2, 30.0)
