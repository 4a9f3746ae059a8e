"""``graphcdp bench ingest --events N --json``: the ingest path measured end to end.

On the running local stack it starts its own API and worker processes, then measures:

1. **Throughput**: N track calls sent as ``/v1/batch`` requests of 100 (as SDKs send them,
   8 in flight), from the first request until the last event is in Neo4j:
   ``events_per_s`` (HTTP -> Kafka -> worker -> Neo4j) and ``http_accept_per_s``.
2. **Freshness** at a steady background load (default 1,000 events/s from 1,000 users): probe
   calls for new users, each timed from its HTTP acceptance until ``customer(identifier:
   ...)`` answers through GraphQL (read once the worker announced the new customer on
   ``cdp.changes``, so probing does not load the API): ``freshness_p50_ms``,
   ``freshness_p99_ms``. The background users' first events are sent and applied, and their
   changes followed (search index, segments, caches: ``caught_up``), before the clock
   starts: the measured second is the steady mix of known users' events and ten new users a
   second (the probes), not a burst of 1,000 first events (which earlier runs included, and
   which left a backlog the probes waited behind).
3. **Ceiling**: the same kind of events turned into observations in-process and written
   straight to Neo4j through the worker's repository (the same UNWIND batches, no HTTP, no
   Kafka): ``ceiling_events_per_s``; ``ratio`` = events_per_s / ceiling_events_per_s.

A warm-up (``--warmup`` events, not measured) goes through the same path first: on a Neo4j
just started, the first batches ran ten times slower (query plans, the JIT) and probes timed
out.
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer
from neo4j import AsyncDriver

from api.observability import ConsumerLag
from graph.driver import open_driver
from graph.model import new_customer_id, now_iso
from graph.repository import IdentityRepository
from graphcdp.local_key import local_admin_key
from graphcdp.settings import Settings
from ingest.planning import plan_batch
from ingest.spec import observation, validate

UA = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36"
)
COUNT_EVENTS = "MATCH (e:Event) WHERE e.event_id STARTS WITH $tag RETURN count(e) AS n"
PROBE_PATIENCE = 120  # seconds a probe may take before the run fails (a slow run still reports)
PROBE = "query ($v: String!) { customer(identifier: {type: USER_ID, value: $v}) { id } }"


def _call(tag: str, i: int, users: int) -> dict[str, Any]:
    user = f"{tag}-u{i % users}"
    return {
        "type": "track",
        "event": random.choice(("Product Viewed", "Product Added", "Order Completed")),
        "userId": user,
        "anonymousId": f"{user}-anon",
        "messageId": f"{tag}-{i}",
        "properties": {"sku": f"SKU-{i % 500}", "price": round(random.uniform(1, 200), 2)},
        "context": {"userAgent": UA, "page": {"url": "https://shop.example.com/?utm_source=bench"}},
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Service:
    """The API and worker processes under test, started on the running stack."""

    def __init__(self, settings: Settings, workers: int, logs: Path) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        # GraphQL needs an API key: the bootstrap admin key (the setting, else .stack's).
        admin_key = local_admin_key(settings)
        self.headers = {"X-API-Key": admin_key}  # for /graphql (X-API-Key beside Basic auth)
        env = {
            **os.environ,
            "GRAPHCDP_ADMIN_KEY": admin_key,
            "GRAPHCDP_API_PORT": str(self.port),
            "GRAPHCDP_LOG_LEVEL": os.environ.get("GRAPHCDP_LOG_LEVEL", "WARNING"),
        }
        exe = [sys.executable, "-m", "graphcdp.cli"]
        logs.mkdir(parents=True, exist_ok=True)
        self.procs = [
            subprocess.Popen([*exe, "api"], env=env, stdout=(logs / "api.log").open("wb"),
                             stderr=subprocess.STDOUT)
        ] + [
            subprocess.Popen([*exe, "worker"], env=env, stdout=(logs / f"worker{i}.log").open("wb"),
                             stderr=subprocess.STDOUT)
            for i in range(workers)
        ]  # fmt: skip

    async def ready(self) -> None:
        async with httpx.AsyncClient() as client:
            for _ in range(200):
                try:
                    if (await client.get(f"{self.base}/healthz")).status_code == 200:
                        await asyncio.sleep(3)  # let the workers join their group
                        return
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.2)
        raise RuntimeError("the API did not start")

    def stop(self) -> None:
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


async def _count(driver: AsyncDriver, tag: str) -> int:
    records, _, _ = await driver.execute_query(COUNT_EVENTS, tag=tag + "-")
    return int(records[0]["n"])


async def wait_count(driver: AsyncDriver, tag: str, n: int, within: float) -> float:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if await _count(driver, tag) >= n:
            return time.monotonic()
        await asyncio.sleep(0.05)
    raise RuntimeError(f"only {await _count(driver, tag)} of {n} events arrived")


async def caught_up(settings: Settings, within: float = 300) -> None:
    """Until the worker has consumed all of ``cdp.events`` and the segment follower, the search
    index and the caches all of ``cdp.changes`` (their lag read as zero three times in a row,
    200 ms apart: the follower's own enters come back to it once)."""
    topics = settings.topics
    lag = ConsumerLag(settings.kafka_bootstrap, {
        settings.worker_group: (topics.events,),
        settings.segment_group: (topics.changes,),
        settings.search_group: (topics.changes,),
        settings.cache_group: (topics.changes,),
    })  # fmt: skip
    deadline, zeros = time.monotonic() + within, 0
    try:
        while zeros < 3:
            behind = {f"{g} on {t}": n for (g, t), n in (await lag.read()).items() if n}
            if behind and time.monotonic() > deadline:
                raise RuntimeError(f"not caught up within {within:.0f} s: {behind}")
            zeros = 0 if behind else zeros + 1
            await asyncio.sleep(0.2)
    finally:
        await lag.close()


async def throughput(base: str, key: str, driver: AsyncDriver, events: int) -> dict[str, float]:
    tag = f"bt{uuid.uuid4().hex[:8]}"
    calls = [_call(tag, i, max(events // 20, 1)) for i in range(events)]
    batches = [calls[i : i + 100] for i in range(0, events, 100)]
    queue: asyncio.Queue[list[dict[str, Any]]] = asyncio.Queue()
    for batch in batches:
        queue.put_nowait(batch)

    async def sender(client: httpx.AsyncClient) -> None:
        while not queue.empty():
            batch = queue.get_nowait()
            reply = await client.post("/v1/batch", json={"batch": batch})
            if reply.status_code != 200 or reply.json().get("accepted") != len(batch):
                raise RuntimeError(f"batch refused: {reply.status_code} {reply.text[:200]}")

    start = time.monotonic()
    async with httpx.AsyncClient(base_url=base, auth=(key, ""), timeout=60) as client:
        await asyncio.gather(*(sender(client) for _ in range(8)))
    accepted = time.monotonic()
    done = await wait_count(driver, tag, events, within=600)
    return {
        "events_per_s": events / (done - start),
        "http_accept_per_s": events / (accepted - start),
        "throughput_seconds": done - start,
    }


class ChangeWatch:
    """Follows ``cdp.changes`` from its end and resolves a future per expected customer id."""

    def __init__(self, settings: Settings) -> None:
        self._consumer = AIOKafkaConsumer(
            settings.topics.changes, bootstrap_servers=settings.kafka_bootstrap,
            auto_offset_reset="latest", enable_auto_commit=False, fetch_max_wait_ms=5,
        )  # fmt: skip
        self._waiting: dict[str, asyncio.Future[None]] = {}
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self._consumer.start()
        await self._consumer.seek_to_end()
        self._task = asyncio.create_task(self._follow())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
        await self._consumer.stop()

    def expect(self, customer_id: str) -> asyncio.Future[None]:
        return self._waiting.setdefault(customer_id, asyncio.get_running_loop().create_future())

    async def _follow(self) -> None:
        async for message in self._consumer:
            key = (message.key or b"").decode()
            waiting = self._waiting.pop(key, None)
            if waiting is not None and not waiting.done():
                waiting.set_result(None)


async def freshness(
    settings: Settings,
    base: str,
    key: str,
    driver: AsyncDriver,
    rate: int,
    seconds: float,
    headers: dict[str, str],
) -> dict[str, float]:
    tag = f"bf{uuid.uuid4().hex[:8]}"
    latencies: list[float] = []
    # Batches of rate/10 events every 100 ms on a fixed schedule (SDKs send batches of up to
    # 100), up to 16 requests in flight, so a slow answer delays nothing else (an open-loop
    # load, as real traffic is). The load generator shares the two cores with the stack: the
    # bodies are built before the clock starts, and 10 requests a second instead of 100 keep
    # httpx from taking half a core (measured with py-spy).
    tick, per_tick, users = 0.1, max(rate // 10, 1), 1000
    bodies = [
        json.dumps({"batch": [_call(tag, users + n * per_tick + j, users)
                              for j in range(per_tick)]}, separators=(",", ":")).encode()
        for n in range(int(seconds / tick) + 1)
    ]  # fmt: skip
    # Each background user's first event, applied before the clock starts.
    async with httpx.AsyncClient(base_url=base, auth=(key, ""), timeout=60) as client:
        for start in range(0, users, 100):
            calls = [_call(tag, i, users) for i in range(start, min(start + 100, users))]
            reply = await client.post("/v1/batch", json={"batch": calls})
            if reply.status_code != 200:
                raise RuntimeError(f"batch refused: {reply.status_code} {reply.text[:200]}")
    await wait_count(driver, tag, users, within=600)
    await caught_up(settings)  # and their changes followed (search index, segments, caches)
    stop = time.monotonic() + seconds

    async def background(client: httpx.AsyncClient) -> int:
        sent = 0
        gate = asyncio.Semaphore(16)
        tasks: list[asyncio.Task[None]] = []
        headers = {"content-type": "application/json"}

        async def post(body: bytes) -> None:
            async with gate:
                await client.post("/v1/batch", content=body, headers=headers)

        next_at = time.monotonic()
        for body in bodies:
            if time.monotonic() >= stop:
                break
            tasks.append(asyncio.create_task(post(body)))
            sent += per_tick
            next_at += tick
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
        await asyncio.gather(*tasks)
        return sent

    async def probe(client: httpx.AsyncClient, n: int) -> None:
        # A probe creates a new customer whose id derives from its messageId; the worker
        # announces it on cdp.changes after the commit, and one GraphQL read then proves it is
        # readable. (Polling GraphQL every few ms per probe instead loads the API with
        # thousands of reads a second and measures the polling more than the pipeline.)
        user, message_id = f"{tag}-probe-{n}", f"{tag}-probe-msg-{n}"
        seen = changes.expect(new_customer_id(message_id))
        call = {"userId": user, "event": "Probe", "messageId": message_id}
        reply = await client.post("/v1/track", json=call)
        accepted = time.monotonic()
        if reply.status_code != 200:
            raise RuntimeError(reply.text)
        try:
            await asyncio.wait_for(seen, timeout=PROBE_PATIENCE)
        except TimeoutError:
            raise RuntimeError(f"probe {user} not applied after {PROBE_PATIENCE} s") from None
        while time.monotonic() - accepted < PROBE_PATIENCE:
            body = {"query": PROBE, "variables": {"v": user}}
            got = await client.post("/graphql", json=body, headers=headers)
            if got.json()["data"]["customer"]:
                latencies.append((time.monotonic() - accepted) * 1000)
                return
            await asyncio.sleep(0.005)
        raise RuntimeError(f"probe {user} not visible after {PROBE_PATIENCE} s")

    async def probes(client: httpx.AsyncClient) -> None:
        n = 0
        tasks = []
        await asyncio.sleep(1.0)  # let the background load settle
        while time.monotonic() < stop:
            tasks.append(asyncio.create_task(probe(client, n)))
            n += 1
            await asyncio.sleep(0.1)
        await asyncio.gather(*tasks)

    limits = httpx.Limits(max_connections=32)
    changes = ChangeWatch(settings)
    await changes.start()
    async with (
        httpx.AsyncClient(base_url=base, auth=(key, ""), timeout=30, limits=limits) as load,
        httpx.AsyncClient(base_url=base, auth=(key, ""), timeout=30, limits=limits) as prober,
    ):
        try:
            sent, _ = await asyncio.gather(background(load), probes(prober))
        finally:
            await changes.stop()
    latencies.sort()
    return {
        "freshness_rate_events_per_s": sent / seconds,
        "freshness_probes": len(latencies),
        "freshness_p50_ms": statistics.median(latencies),
        "freshness_p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
        "freshness_max_ms": latencies[-1],
    }


def _observations(events: int, source: str) -> Iterator[Any]:
    tag = f"bc{uuid.uuid4().hex[:8]}"
    received = now_iso()
    for i in range(events):
        body = validate("track", _call(tag, i, max(events // 20, 1)), source, received).body
        yield observation(body)


async def ceiling(settings: Settings, driver: AsyncDriver, events: int) -> dict[str, float]:
    repo = IdentityRepository(driver, settings.neo4j_database)
    observations = list(_observations(events, "bench"))
    batch = settings.worker_batch
    planner = functools.partial(
        plan_batch, rules=settings.rules(), traits=settings.trait_definitions()
    )  # the worker's own planner: identity rules and computed traits
    start = time.monotonic()
    for i in range(0, len(observations), batch):
        await repo.apply(observations[i : i + batch], planner)
    return {"ceiling_events_per_s": events / (time.monotonic() - start)}


async def run(
    settings: Settings, events: int, rate: int, seconds: float, workers: int, warmup: int = 5000
) -> dict[str, Any]:
    key = next(iter(settings.parsed_write_keys()))
    service = Service(settings, workers, settings.state_dir / "bench-logs")
    driver = await open_driver(settings)
    try:
        await service.ready()
        result: dict[str, Any] = {"events": events, "workers": workers, "cores": os.cpu_count()}
        if warmup:
            await throughput(service.base, key, driver, warmup)
        result.update(await throughput(service.base, key, driver, events))
        result.update(await freshness(settings, service.base, key, driver, rate, seconds,
                                       service.headers))  # fmt: skip
        service.stop()
        result.update(await ceiling(settings, driver, events))
    finally:
        service.stop()
        await driver.close()
    result["ratio"] = result["events_per_s"] / result["ceiling_events_per_s"]
    return {k: round(v, 2) if isinstance(v, float) else v for k, v in result.items()}


def main(
    settings: Settings, events: int, rate: int, seconds: float, workers: int, warmup: int = 5000
) -> int:
    result = asyncio.run(run(settings, events, rate, seconds, workers, warmup))
    print(json.dumps(result, indent=2))
    return 0
