"""The stack's Kafka topics emptied for a fresh start: what a bench does when it clears the graph.

A bench that clears the graph (``--fresh``) leaves a state the topics no longer describe:
``cdp.events`` and ``cdp.records`` still hold every input the graph was built from, so a
consumer group that reads them from offset zero (a new worker group, a replay) would put the
cleared customers back. :func:`truncate` deletes the records of the given topics up to their
ends (Kafka's DeleteRecords at the high watermark), so "fresh" holds for the stream too.
Consumer groups keep their committed offsets; a group behind the end loses what it had not
read, which a fresh start means.
"""

from __future__ import annotations

from aiokafka.admin import AIOKafkaAdminClient, RecordsToDelete
from aiokafka.structs import TopicPartition

from graphcdp.settings import Settings

# DeleteRecords' offset -1 means "up to the partition's high watermark" (the Kafka protocol).
HIGH_WATERMARK = -1


async def truncate(settings: Settings, topics: tuple[str, ...]) -> dict[str, int]:
    """Delete every record of ``topics``; each topic's new start offsets summed (its
    records ever written, whether deleted now or before)."""
    admin = AIOKafkaAdminClient(
        bootstrap_servers=settings.kafka_bootstrap, request_timeout_ms=30_000
    )
    await admin.start()
    try:
        described = await admin.describe_topics(list(topics))
        partitions = [
            TopicPartition(t["topic"], p["partition"])
            for t in described
            if t["topic"] in topics
            for p in t["partitions"]
        ]
        low = await admin.delete_records(
            {tp: RecordsToDelete(HIGH_WATERMARK) for tp in partitions}, timeout_ms=30_000
        )
    finally:
        await admin.close()
    starts = {t: 0 for t in topics}
    for tp, offset in low.items():
        starts[tp.topic] += offset
    return starts


async def input_topics_emptied(settings: Settings) -> dict[str, int]:
    """:func:`truncate` on the worker's input topics (``cdp.events``, ``cdp.records``)."""
    return await truncate(settings, (settings.topics.events, settings.topics.records))
