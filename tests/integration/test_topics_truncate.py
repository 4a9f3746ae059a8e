"""stack.topics.truncate against the real Kafka: a fresh bench empties the input topics."""

from __future__ import annotations

import dataclasses
import uuid

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.structs import TopicPartition

from graphcdp.settings import Settings, Topics
from stack.topics import input_topics_emptied, truncate


async def _topics(settings: Settings, names: list[str], partitions: int = 2) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(t, partitions, 1) for t in names])
    finally:
        await admin.close()


async def _drop(settings: Settings, names: list[str]) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    await admin.start()
    try:
        await admin.delete_topics(names)
    finally:
        await admin.close()


async def _produce(settings: Settings, topic: str, n: int) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks="all")
    await producer.start()
    try:
        for i in range(n):
            await producer.send_and_wait(topic, f"m{i}".encode(), key=f"k{i}".encode())
    finally:
        await producer.stop()


async def _from_zero(settings: Settings, topic: str) -> tuple[int, int]:
    """(messages a new group reads from the start within a second, sum of the end offsets)."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=settings.kafka_bootstrap, group_id=f"t-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest", enable_auto_commit=False,
    )  # fmt: skip
    await consumer.start()
    try:
        read = 0
        for _ in range(4):
            batch = await consumer.getmany(timeout_ms=250)
            read += sum(len(msgs) for msgs in batch.values())
        parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        ends = await consumer.end_offsets(parts)
    finally:
        await consumer.stop()
    return read, sum(ends.values())


async def test_truncate_deletes_every_record_and_keeps_the_offsets(settings: Settings) -> None:
    tag = uuid.uuid4().hex[:8]
    emptied, kept = f"test.trunc.{tag}.a", f"test.trunc.{tag}.b"
    await _topics(settings, [emptied, kept])
    try:
        await _produce(settings, emptied, 25)
        await _produce(settings, kept, 5)
        assert (await _from_zero(settings, emptied))[0] == 25

        starts = await truncate(settings, (emptied,))

        assert starts == {emptied: 25}
        assert await _from_zero(settings, emptied) == (0, 25)  # offsets go on from the end
        assert (await _from_zero(settings, kept))[0] == 5  # another topic is left alone
        await _produce(settings, emptied, 3)
        assert await _from_zero(settings, emptied) == (3, 28)
    finally:
        await _drop(settings, [emptied, kept])


async def test_input_topics_emptied_names_the_events_and_records_topics(settings: Settings) -> None:
    tag = uuid.uuid4().hex[:8]
    topics = Topics(events=f"test.ev.{tag}", records=f"test.rec.{tag}",
                    changes=f"test.ch.{tag}", dlq=f"test.dlq.{tag}")  # fmt: skip
    own = dataclasses.replace(settings, topics=topics)
    await _topics(settings, list(topics.all()), partitions=1)
    try:
        for topic in topics.all():
            await _produce(settings, topic, 4)

        assert await input_topics_emptied(own) == {topics.events: 4, topics.records: 4}

        assert (await _from_zero(settings, topics.events))[0] == 0
        assert (await _from_zero(settings, topics.records))[0] == 0
        assert (await _from_zero(settings, topics.changes))[0] == 4
    finally:
        await _drop(settings, list(topics.all()))
