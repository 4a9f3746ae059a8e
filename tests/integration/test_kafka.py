from __future__ import annotations

import uuid

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from graphcdp.settings import Settings


async def test_project_topics_exist_with_configured_partitions(settings: Settings) -> None:
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap)
    await consumer.start()
    try:
        for topic in settings.topics.all():
            partitions = consumer.partitions_for_topic(topic) or await _fetch(consumer, topic)
            assert len(partitions) == settings.kafka_partitions, topic
    finally:
        await consumer.stop()


async def _fetch(consumer: AIOKafkaConsumer, topic: str) -> set[int]:
    await consumer._client.force_metadata_update()
    return consumer.partitions_for_topic(topic) or set()


async def test_produce_consume_round_trip_with_acks_all(settings: Settings) -> None:
    topic = f"test.roundtrip.{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    await admin.start()
    await admin.create_topics([NewTopic(topic, 3, 1)])
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks="all")
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=settings.kafka_bootstrap,
        group_id=f"test-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    try:
        await producer.start()
        sent = {f"key-{i}": f"value-{i}" for i in range(30)}
        for key, value in sent.items():
            await producer.send_and_wait(topic, value.encode(), key=key.encode())
        await consumer.start()
        got: dict[str, str] = {}
        for _ in range(50):
            batch = await consumer.getmany(timeout_ms=500)
            for msgs in batch.values():
                got.update({m.key.decode(): m.value.decode() for m in msgs if m.key and m.value})
            if len(got) == len(sent):
                break
        assert got == sent
        await consumer.commit()
    finally:
        await producer.stop()
        await consumer.stop()
        await admin.delete_topics([topic])
        await admin.close()
