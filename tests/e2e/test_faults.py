"""Faults: a replay of the topics from offset 0, and a worker killed (SIGKILL) mid-batch."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from aiokafka import AIOKafkaProducer

from graphcdp.settings import Settings
from tests.e2e.graph_check import graph_shape, query, wait_caught_up


def _worker(group: str, log: Path, batch: int = 500) -> subprocess.Popen[bytes]:
    env = {**os.environ, "GRAPHCDP_WORKER_GROUP": group, "GRAPHCDP_WORKER_BATCH": str(batch)}
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "graphcdp.cli", "worker"], env=env, stdout=out, stderr=out
        )


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


async def _produce(settings: Settings, tag: str, count: int) -> None:
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap, acks="all", linger_ms=20
    )
    await producer.start()
    try:
        sends = []
        for i in range(count):
            user = f"{tag}-u{i % 97}"  # 97 customers, many events each, spread over partitions
            body = {
                "type": "track", "event": "Viewed", "userId": user, "anonymousId": f"{user}-a",
                "messageId": f"{tag}-{i}", "properties": {"i": i},
                "_graphcdp": {"source": "test", "receivedAt": "2026-11-27T00:00:00.000Z"},
            }  # fmt: skip
            sends.append(await producer.send(settings.topics.events, json.dumps(body).encode(),
                                             key=user.encode()))  # fmt: skip
        await asyncio.gather(*sends)
    finally:
        await producer.stop()


def test_a_worker_killed_mid_batch_loses_and_duplicates_nothing(
    service: str, settings: Settings, tmp_path: Path
) -> None:
    tag = f"k-{uuid.uuid4().hex[:10]}"
    count = 6000
    log = tmp_path / "killed-worker.log"
    # A second worker joins the service's group and takes half the partitions, small batches.
    victim = _worker(settings.worker_group, log, batch=50)
    try:
        time.sleep(3)  # let it join the group
        asyncio.run(_produce(settings, tag, count))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if "batch:" in log.read_text(errors="replace"):
                break
            time.sleep(0.05)
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        restarted = _worker(settings.worker_group, log, batch=50)
        try:
            wait_caught_up(settings, settings.worker_group, timeout=180)
        finally:
            _stop(restarted)
    finally:
        if victim.poll() is None:
            victim.kill()
    rows = query(
        settings,
        "MATCH (e:Event) WHERE e.event_id STARTS WITH $tag "
        "OPTIONAL MATCH (c:Customer)-[p:PERFORMED]->(e) "
        "RETURN count(DISTINCT e) AS events, count(p) AS performed, "
        "count(DISTINCT c) AS customers",
        tag=f"{tag}-",
    )
    assert rows == [{"events": count, "performed": count, "customers": 97}]
    records = query(
        settings,
        "MATCH (r:Record)-[:HAS_IDENTIFIER]->(i:Identifier) WHERE i.value STARTS WITH $tag "
        "RETURN count(DISTINCT r) AS records, count(DISTINCT i) AS identifiers",
        tag=tag,
    )
    # One record per new identity fact (each user's first event), never one per replay.
    assert records == [{"records": 97, "identifiers": 194}]


def test_replaying_the_topics_from_offset_zero_leaves_the_graph_unchanged(
    service: str, settings: Settings, tmp_path: Path
) -> None:
    wait_caught_up(settings, settings.worker_group)
    before = graph_shape(settings)
    group = f"replay-{uuid.uuid4().hex[:8]}"
    replayer = _worker(group, tmp_path / "replay.log", batch=500)
    try:
        wait_caught_up(settings, group, timeout=300)
    finally:
        _stop(replayer)
    assert graph_shape(settings) == before
    assert "replayed" in (tmp_path / "replay.log").read_text()
