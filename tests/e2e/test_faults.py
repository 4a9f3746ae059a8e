"""Faults: a replay of the topics from offset 0, and a worker killed (SIGKILL) mid-batch."""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import os
import random
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from graphcdp.settings import Settings
from stack import down, status, up
from tests.e2e.conftest import ADMIN
from tests.e2e.graph_check import (
    Ledger,
    end_offsets,
    graph_shape,
    query,
    read_since,
    tag_shape,
    wait_caught_up,
)
from tests.e2e.stream import Call, calls, identifier_counts, produce


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


async def _apply_without_publishing(settings: Settings, body: dict[str, object]) -> str:
    """What a worker that died between its Neo4j commit and its publish leaves: the message
    in the graph (parsed and applied by the worker's own code), nothing on cdp.changes."""
    from aiokafka import ConsumerRecord

    from graph.driver import open_driver
    from graph.repository import IdentityRepository
    from ingest.worker import parse_batch
    from matching.deterministic import resolve

    value = json.dumps(body).encode()
    message = ConsumerRecord(settings.topics.events, 0, 0, 0, 0, b"k", value, None, 1,
                             len(value), [])  # fmt: skip
    parsed = parse_batch([message], settings.topics.records, settings.normalise_options())
    driver = await open_driver(settings)
    try:
        result = await IdentityRepository(driver, settings.neo4j_database).apply(
            parsed.observations, resolve
        )
    finally:
        await driver.close()
    (customer,) = result.events.values()
    return customer


def test_a_batch_committed_but_never_published_publishes_its_changes_on_replay(
    service: str, settings: Settings
) -> None:
    tag = f"cw-{uuid.uuid4().hex[:10]}"
    body = {
        "type": "track", "event": "Crash Window", "userId": f"{tag}-u", "messageId": f"{tag}-m",
        "timestamp": "2026-11-27T00:00:00.000Z",
        "_graphcdp": {"source": "test", "receivedAt": "2026-11-27T00:00:00.000Z"},
    }  # fmt: skip
    customer = asyncio.run(_apply_without_publishing(settings, body))
    since = end_offsets(settings, settings.topics.changes)

    async def redeliver() -> None:  # the uncommitted offset: Kafka hands the message out again
        producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks="all")
        await producer.start()
        try:
            await producer.send_and_wait(
                settings.topics.events, json.dumps(body).encode(), key=f"{tag}-u".encode()
            )
        finally:
            await producer.stop()

    asyncio.run(redeliver())
    found = read_since(settings, settings.topics.changes, since, customer, timeout=60)
    # A first track call of a user writes a Record (the new identity fact) and an Event.
    assert [(c["type"], c["records"], c["events"], c.get("replayed")) for c in found] == [
        ("customer.updated", 1, 1, 1)
    ], found
    # Applied once all the same: one event, one performer.
    assert query(
        settings,
        "MATCH (c:Customer)-[:PERFORMED]->(e:Event {event_id: $id}) RETURN c.customer_id AS c",
        id=f"{tag}-m",
    ) == [{"c": customer}]


log = logging.getLogger(__name__)

# The stream of the fault run: the 100,000 calls (fewer while developing). A clean run
# of the same stream under another tag is the reference; each phase's faults hit a quarter of
# it, and after each phase the graph must have the clean run's shape at the same point.
FAULT_EVENTS = int(os.environ.get("GRAPHCDP_FAULT_EVENTS", "100000"))
PHASES = ("worker SIGKILL x5", "Neo4j restart", "Kafka restart", "3 workers, rebalances")
CUSTOMER = "query($v: String!) { customer(identifier: {type: USER_ID, value: $v}) { id } }"
ASSIGNED = re.compile(r"assigned \[[^\]]")


def _assigned(log: Path) -> bool:
    """The worker holds partitions (its log says so)."""
    return bool(ASSIGNED.search(log.read_text(errors="replace")))


def _batched(log: Path) -> bool:
    """The worker has applied a batch (its log says so)."""
    return "batch:" in log.read_text(errors="replace")


def _wait(what: str, check: Callable[[], bool], timeout: float = 120) -> float:
    """Poll ``check`` until it holds; the moment it did (monotonic seconds)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return time.monotonic()
        time.sleep(0.05)
    raise AssertionError(f"{what}: not within {timeout:g} s")


def _applied(settings: Settings, tag: str) -> int:
    rows = query(settings, "MATCH (e:Event) WHERE e.event_id STARTS WITH $p RETURN count(e) AS n",
                 p=f"{tag}-")  # fmt: skip
    return int(rows[0]["n"])


def _in_graph(settings: Settings, call: Call) -> bool:
    """The call's event is in the graph (the worker applied it)."""
    found = query(settings, "MATCH (e:Event {event_id: $id}) RETURN count(e) AS n",
                  id=call.message_id)  # fmt: skip
    return bool(found[0]["n"])


def _resumed(settings: Settings, tag: str, probe: Call) -> Callable[[], bool]:
    """A check that holds once the worker applies again: the run's event count grew between
    two calls, or the call accepted during the outage is in the graph."""
    seen = [-1]

    def check() -> bool:
        now = _applied(settings, tag)
        grew = 0 <= seen[0] < now
        seen[0] = now
        return grew or _in_graph(settings, probe)

    return check


def _recovered(checks: dict[str, Callable[[], bool]], timeout: float = 180) -> dict[str, float]:
    """Poll every check until each has held once; the moment each first did."""
    found: dict[str, float] = {}
    deadline = time.monotonic() + timeout
    while len(found) < len(checks):
        if time.monotonic() > deadline:
            raise AssertionError(f"not recovered within {timeout:g} s: {set(checks) - set(found)}")
        for name, check in checks.items():
            if name not in found and check():
                found[name] = time.monotonic()
        time.sleep(0.05)
    return found


def _track(base: str, settings: Settings, call: Call) -> int:
    """POST one tracking call; its HTTP status (the test waits as long as the API does)."""
    key = next(iter(settings.parsed_write_keys()))
    body = {k: v for k, v in call.body.items() if k != "type"}
    return httpx.post(f"{base}/v1/{call.body['type']}", auth=(key, ""), json=body,
                      timeout=60).status_code  # fmt: skip


def _graphql_status(base: str) -> int:
    """The status of a profile lookup that must reach Neo4j (a user id nobody has)."""
    variables = {"v": f"nobody-{uuid.uuid4().hex}"}
    return httpx.post(f"{base}/graphql", json={"query": CUSTOMER, "variables": variables},
                      headers=ADMIN, timeout=60).status_code  # fmt: skip


def _readyz(base: str) -> tuple[int, dict[str, str]]:
    reply = httpx.get(f"{base}/readyz", timeout=30)
    return reply.status_code, reply.json()["checks"]


def _managed(settings: Settings, name: str) -> None:
    """Fault injection stops servers of this state dir only: never someone else's."""
    (row,) = status(settings, (name,))
    assert row.pid is not None, f"{name} is not a server of {settings.state_dir}"
    assert row.ready


@dataclass
class FaultRun:
    """The fault run's bookkeeping: workers started, recovery times, calls accepted."""

    settings: Settings
    logs: Path
    workers: list[tuple[subprocess.Popen[bytes], Path]] = field(default_factory=list)
    recovery: dict[str, list[float]] = field(default_factory=dict)
    probe_tag: str = ""
    probes: list[Call] = field(default_factory=list)  # accepted (200) through the API

    def probe(self, name: str) -> Call:
        """A tracking call sent through the API while a server is down."""
        return Call("", {"type": "track", "event": "Probed", "anonymousId": f"{self.probe_tag}-a",
                         "messageId": f"{self.probe_tag}-{name}"})  # fmt: skip

    def start(self) -> tuple[subprocess.Popen[bytes], Path]:
        log = self.logs / f"worker-{len(self.workers)}.log"
        worker = (_worker(self.settings.worker_group, log), log)
        self.workers.append(worker)
        return worker

    def stop_all(self) -> None:
        for proc, _ in self.workers:
            if proc.poll() is None:
                _stop(proc)

    def took(self, fault: str, since: float, until: float) -> None:
        self.recovery.setdefault(fault, []).append(round(until - since, 2))


def _kill_five_times(run: FaultRun, chunk: list[Call]) -> None:
    """kill -9 a worker of the group mid-batch, five times; each time a new one takes over."""
    victim, log = run.start()
    _wait("the worker holds partitions", functools.partial(_assigned, log))
    for part in range(5):
        asyncio.run(produce(run.settings, chunk[part::5]))
        _wait("the worker applies a batch", functools.partial(_batched, log))
        time.sleep(random.Random(part).uniform(0, 0.5))
        victim.send_signal(signal.SIGKILL)
        killed = time.monotonic()
        victim.wait()
        assert victim.returncode == -signal.SIGKILL
        victim, log = run.start()
        back = _wait("the new worker holds partitions", functools.partial(_assigned, log))
        run.took(PHASES[0], killed, back)


def _restart_neo4j(run: FaultRun, base: str, tag: str, chunk: list[Call]) -> None:
    """Neo4j stops mid-stream: the API answers 503 where it needs the graph and still takes
    tracking calls (Kafka is up); once Neo4j is back the worker and the API carry on alone."""
    settings = run.settings
    worker, log = run.start()
    _wait("the worker holds partitions", functools.partial(_assigned, log))
    before = _applied(settings, tag)
    asyncio.run(produce(settings, chunk))
    _wait("the worker applies", lambda: _applied(settings, tag) > before + 500)
    _managed(settings, "neo4j")
    down(settings, only=("neo4j",))
    ready, checks = _readyz(base)
    assert ready == 503
    assert checks["neo4j"] != "ok", checks
    assert _graphql_status(base) == 503
    probe = run.probe("neo4j")
    assert _track(base, settings, probe) == 200  # into Kafka, applied once Neo4j is back
    run.probes.append(probe)
    up(settings, only=("neo4j",))
    back = time.monotonic()
    times = _recovered({
        "Neo4j restart: API": lambda: _graphql_status(base) == 200,
        "Neo4j restart: worker": _resumed(settings, tag, probe),
    })  # fmt: skip
    for fault, at in times.items():
        run.took(fault, back, at)
    assert worker.poll() is None, "the worker exited while Neo4j was down"


def _restart_kafka(run: FaultRun, base: str, tag: str, chunk: list[Call]) -> None:
    """Kafka stops mid-stream: tracking calls are answered 503 (never 200: nothing is in
    Kafka), GraphQL still answers; once Kafka is back the worker and the API carry on alone."""
    settings = run.settings
    worker, log = run.start()
    _wait("the worker holds partitions", functools.partial(_assigned, log))
    before = _applied(settings, tag)
    asyncio.run(produce(settings, chunk))
    _wait("the worker applies", lambda: _applied(settings, tag) > before + 500)
    _managed(settings, "kafka")
    down(settings, only=("kafka",))
    ready, checks = _readyz(base)
    assert ready == 503
    assert checks["kafka"] != "ok", checks
    probe = run.probe("kafka")
    assert _track(base, settings, probe) == 503
    assert _graphql_status(base) == 200
    up(settings, only=("kafka",))
    back = time.monotonic()
    # The caller tries again (as an SDK does) until the call is accepted.
    accepted = _wait("a tracking call is accepted", lambda: _track(base, settings, probe) == 200)
    run.took("Kafka restart: API", back, accepted)
    run.probes.append(probe)
    applied = _wait("the worker applies again", _resumed(settings, tag, probe))
    run.took("Kafka restart: worker", back, applied)
    assert worker.poll() is None, "the worker exited while Kafka was down"


def _rebalance(run: FaultRun, chunk: list[Call]) -> None:
    """Three workers in the group; one leaves and another joins, four times, mid-stream."""
    three = [run.start() for _ in range(3)]
    for part in range(4):
        asyncio.run(produce(run.settings, chunk[part::4]))
        leaving, _ = three.pop(0)
        _stop(leaving)
        joined = time.monotonic()
        three.append(run.start())
        back = _wait("the new worker holds partitions", lambda: _assigned(three[-1][1]))
        run.took(PHASES[3], joined, back)


@pytest.mark.timeout(1800)  # two runs of 100,000 events and two server restarts
def test_a_stream_through_kills_restarts_and_rebalances_builds_the_clean_runs_graph(
    service: str, settings: Settings, tmp_path: Path
) -> None:
    run_id = uuid.uuid4().hex[:8]
    clean_tag, fault_tag = f"fc-{run_id}", f"ff-{run_id}"
    quarter = FAULT_EVENTS // 4
    clean, faulted = calls(clean_tag, FAULT_EVENTS), calls(fault_tag, FAULT_EVENTS)
    chunks = [slice(i * quarter, (i + 1) * quarter if i < 3 else None) for i in range(4)]
    expected = []
    started = time.monotonic()
    for part in chunks:
        asyncio.run(produce(settings, clean[part]))
        wait_caught_up(settings, settings.worker_group, timeout=600)
        expected.append(tag_shape(settings, clean_tag))
    clean_seconds = time.monotonic() - started

    run = FaultRun(settings, tmp_path, probe_tag=f"fp-{run_id}")
    started = time.monotonic()
    ledgers = []
    try:
        for phase, part in enumerate(chunks):
            if phase == 0:
                _kill_five_times(run, faulted[part])
            elif phase == 1:
                _restart_neo4j(run, service, fault_tag, faulted[part])
            elif phase == 2:
                _restart_kafka(run, service, fault_tag, faulted[part])
            else:
                _rebalance(run, faulted[part])
            run.stop_all()
            wait_caught_up(settings, settings.worker_group, timeout=600)
            sent = {c.message_id for c in faulted[: part.stop]}
            ledgers.append(Ledger.of(settings, f"{fault_tag}-", sent))
            assert tag_shape(settings, fault_tag) == expected[phase], PHASES[phase]
    finally:
        run.stop_all()
        up(settings)  # whatever happened, the stack is left up and ready
    fault_seconds = time.monotonic() - started
    accepted = {c.message_id for c in run.probes}
    probes = Ledger.of(settings, f"fp-{run_id}-", accepted)
    log.warning(f"fault run: {FAULT_EVENTS} events; clean {clean_seconds:.0f} s, faulted "
          f"{fault_seconds:.0f} s; recovery (s): {run.recovery}; ledgers {ledgers}; "
          f"probes {probes}")  # fmt: skip
    assert ledgers == [Ledger(0, 0)] * 4
    assert probes == Ledger(0, 0)
    assert expected[-1]["identifiers"] == identifier_counts(clean)
    assert expected[-1]["events"] == FAULT_EVENTS
