"""``graphcdp bench segments --customers 100000 --fresh --json``: segment evaluation and
activation latency.

1. The graph is cleared and loaded with ``--customers`` synthetic records, each its own
   customer (``bench.load_records``) with its city and email (``bench.load_golden``), and 3
   purchases for every 10th customer (``bench.load_events``).
2. **Full evaluation**: a 3-condition segment (a city among five, at least 2 purchases in the
   last 30 days, an email not at example.org) is created and evaluated over every customer;
   seconds to evaluate and write the memberships, and how many entered.
3. **Event to webhook**: a ``graphcdp api`` and a ``graphcdp worker`` run; a segment "made a
   bench purchase today" is activated in realtime to a webhook receiver in this process;
   ``--rate`` track calls a second, each a first purchase of a new user, go through
   ``/v1/batch`` for ``--seconds``; for every customer whose enter delta arrives, the time from
   its call to the delta's arrival. p50/p99 and how many arrived within the wait, and the
   same split by stage (``stages``: the worker writes the customer, the segment follower
   writes its enter, the activation delivers it), read from the graph's timestamps.
4. **Event to webhook, known customers** (``event_to_webhook_known``): the same, but each
   user's first event (a page view) is in the graph before the clock starts, so the timed
   purchase is a known customer's event, the usual case; its stages are the call to the
   enter written, and the enter to the webhook.

Before each timed phase, ``WARMUP_SECONDS`` of the same calls go through untimed, until their
deltas have all arrived and the worker and the followers of ``cdp.changes`` (segments,
search index, caches) have caught up (``warm_up``: how many and how long). ``by_second``
gives the p50 and max of the calls sent in each second, so a p99 made by one slow second
shows as such.
"""

from __future__ import annotations

import asyncio
import http.server
import json
import random
import socket
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

import httpx

from bench.ingest import Service, caught_up, wait_count
from bench.link_scale import dataset, load
from graph.cypher import q
from graph.driver import open_driver
from graph.model import now_iso
from graphcdp.settings import Settings

WARMUP_SECONDS = 2.0  # of calls at the timed rate, untimed, before each timed phase
CITIES = ["Oslo", "Bergen", "Chicago", "Springfield", "Austin"]


class _Hook(http.server.BaseHTTPRequestHandler):
    arrivals: ClassVar[dict[str, float]] = {}

    def do_POST(self) -> None:
        now = time.time()
        payload = json.loads(self.rfile.read(int(self.headers["content-length"])))
        for delta in payload["deltas"]:
            if delta["type"] == "enter":
                _Hook.arrivals.setdefault(delta["customer_id"], now)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return


async def _full_evaluation(settings: Settings, rows: list[dict[str, Any]]) -> dict[str, Any]:
    from graph.driver import open_driver
    from graph.repository.segments import SegmentRepository
    from segments.definition import parse
    from segments.jobs import refresh

    driver = await open_driver(settings)
    try:
        golden = [
            {"customer_id": f"cus_{r['record_id']}",
             "props": {k: r[k] for k in ("city", "email") if r.get(k)}}
            for r in rows
        ]  # fmt: skip
        for start in range(0, len(golden), 10_000):
            await driver.execute_query(q("bench.load_golden").query(),
                                       rows=golden[start : start + 10_000],
                                       database_=settings.neo4j_database)  # fmt: skip
        rng = random.Random(7)
        events = []
        for r in rows[::10]:
            for n in range(3):
                events.append({
                    "customer_id": f"cus_{r['record_id']}", "event_id": f"bse_{r['record_id']}_{n}",
                    "name": "Order Completed", "timestamp": now_iso(),
                    "properties": json.dumps({"revenue": rng.randint(5, 200)}),
                })  # fmt: skip
        for start in range(0, len(events), 10_000):
            await driver.execute_query(q("bench.load_events").query(),
                                       rows=events[start : start + 10_000],
                                       database_=settings.neo4j_database)  # fmt: skip
        raw = {"rule": {"all": [
            {"attribute": "city", "op": "in", "value": CITIES},
            {"performed": "Order Completed", "atLeast": 2, "withinDays": 30},
            {"not": {"attribute": "email", "op": "contains", "value": "example.org"}},
        ]}}  # fmt: skip
        repo = SegmentRepository(driver, settings.neo4j_database)
        saved = await repo.save("bench 3 conditions", raw, "bench")
        started = time.monotonic()
        changed = await refresh(repo, saved.segment_id, parse(raw), datetime.now(UTC))
        seconds = time.monotonic() - started
        started = time.monotonic()
        again = await refresh(repo, saved.segment_id, parse(raw), datetime.now(UTC))
        return {"seconds": round(seconds, 3), "entered": len(changed.entered),
                "again_seconds": round(time.monotonic() - started, 3),
                "again_changed": len(again.entered) + len(again.exited)}  # fmt: skip
    finally:
        await driver.close()


async def _latency(
    service: Service, settings: Settings, rate: int, seconds: float, known: bool = False
) -> dict[str, Any]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), _Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    tag = uuid.uuid4().hex[:8]
    event = f"Bench Purchase {tag}"
    key = next(iter(settings.parsed_write_keys()))
    async with httpx.AsyncClient(base_url=service.base, headers=service.headers, timeout=30) as c:

        async def gql(query: str, **variables: Any) -> dict[str, Any]:
            body = (await c.post("/graphql", json={"query": query, "variables": variables})).json()
            assert "errors" not in body, body
            data: dict[str, Any] = body["data"]
            return data

        seg = await gql("""mutation ($d: JSON!) { createSegment(name: "bench live", definition: $d)
          { ... on SegmentSaved { segment { id } } } }""",
                        d={"rule": {"performed": event, "withinDays": 1}})  # fmt: skip
        segment = seg["createSegment"]["segment"]["id"]
        dst = await gql("""mutation ($u: String!) { createDestination(input: {
          name: "bench hook", kind: WEBHOOK, url: $u, secret: "bench", rateLimit: 1000}) {
          ... on Destination { id } } }""", u=f"http://127.0.0.1:{port}/hook")  # fmt: skip
        await gql("""mutation ($s: ID!, $d: ID!) { activateSegment(segmentId: $s,
          destinationId: $d, mode: REALTIME) { __typename } }""",
                  s=segment, d=dst["createDestination"]["id"])  # fmt: skip
        sent: dict[str, float] = {}
        batch = max(1, rate // 20)  # 20 batches a second
        if known:  # each user's first event (a page view) in the graph before the clock starts
            users = int(rate * seconds) + 2 * batch
            for start in range(0, users, 100):
                calls = [{"type": "page", "userId": f"bu-{tag}-{n}", "name": "Home",
                          "messageId": f"{tag}-first-{n}"}
                         for n in range(start, min(start + 100, users))]  # fmt: skip
                reply = await c.post("/v1/batch", json={"batch": calls}, auth=(key, ""))
                reply.raise_for_status()
            driver = await open_driver(settings)
            try:
                await wait_count(driver, f"{tag}-first", users, within=600)
            finally:
                await driver.close()

        async def send(prefix: str, for_seconds: float, record: dict[str, float]) -> int:
            began = time.monotonic()
            n = 0
            while time.monotonic() - began < for_seconds:
                calls = []
                for _ in range(batch):
                    user = f"{prefix}-{n}"
                    calls.append({"type": "track", "userId": user, "event": event})
                    record[user] = time.time()
                    n += 1
                await c.post("/v1/batch", json={"batch": calls}, auth=(key, ""))
                await asyncio.sleep(max(0.0, began + n / rate - time.monotonic()))
            return n

        # Warm-up, untimed: WARMUP_SECONDS of the same calls, until their deltas have all
        # reached the webhook and the worker and every follower of cdp.changes have caught
        # up (the known customers' first events included). Without it the first seconds
        # measured a worker and follower just started, and the follower still busy with the
        # page views sent before the clock (`by_second` showed 2-6 s in the first second,
        # falling to a steady level).
        warm_began, arrived_before = time.monotonic(), len(_Hook.arrivals)
        warm = await send(f"bw-{tag}", WARMUP_SECONDS, {})
        await _until(lambda: len(_Hook.arrivals) >= arrived_before + warm, "warm-up deltas")
        await caught_up(settings)
        warm_up = {"calls": warm, "seconds": round(time.monotonic() - warm_began, 1)}
        await send(f"bu-{tag}", seconds, sent)
        await asyncio.sleep(10)  # the last deltas
        by_customer = {}
        for user in sent:
            found = await gql("""query ($u: String!) { customer(identifier: {type: USER_ID,
              value: $u}) { id } }""", u=user)  # fmt: skip
            if found["customer"]:
                by_customer[found["customer"]["id"]] = user
    server.shutdown()
    server.server_close()
    timed = [(sent[u], (_Hook.arrivals[c] - sent[u]) * 1000) for c, u in by_customer.items()
             if c in _Hook.arrivals]  # fmt: skip
    ms = sorted(latency for _, latency in timed)
    if not ms:
        return {"sent": len(sent), "arrived": 0}
    return {"sent": len(sent), "arrived": len(ms), "rate_per_s": rate, **_spread(ms),
            "stages": await _stages(settings, segment, by_customer, sent, known),
            "by_second": _by_second(timed), "warm_up": warm_up}  # fmt: skip


async def _until(done: Callable[[], bool], what: str, within: float = 300) -> None:
    deadline = time.monotonic() + within
    while not done():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what}: not done within {within:.0f} s")
        await asyncio.sleep(0.1)


def _by_second(timed: list[tuple[float, float]]) -> list[list[float]]:
    """[p50, max] ms of the calls sent in each second of the run: whether a p99 comes from a
    steady spread or from one hiccup (a second whose calls all waited)."""
    first = min(at for at, _ in timed)
    seconds: dict[int, list[float]] = {}
    for at, latency in timed:
        seconds.setdefault(int(at - first), []).append(latency)
    return [[round(statistics.median(v)), round(max(v))] for _, v in sorted(seconds.items())]


def _spread(ms: list[float]) -> dict[str, float]:
    ms = sorted(ms)
    return {"p50_ms": round(statistics.median(ms), 1),
            "p99_ms": round(ms[min(len(ms) - 1, int(len(ms) * 0.99))], 1),
            "max_ms": round(ms[-1], 1)}  # fmt: skip


async def _stages(
    settings: Settings, segment: str, by_customer: dict[str, str], sent: dict[str, float],
    known: bool = False,
) -> dict[str, dict[str, float]]:  # fmt: skip
    """Where the time goes, per customer (wall clock, one machine): from the call to the
    customer written by the worker (``created_at``), to its enter written by the segment
    follower (``MembershipChange.at``), to the delta at the webhook. For customers ``known``
    before the call, the first two stages are one (the customer was written earlier)."""
    driver = await open_driver(settings)
    try:
        records, _, _ = await driver.execute_query(
            "UNWIND $ids AS id MATCH (c:Customer {customer_id: id}) "
            "MATCH (m:MembershipChange {segment_id: $s, customer_id: id, kind: 'enter'}) "
            "RETURN id, c.created_at AS written, min(m.at) AS entered",
            ids=list(by_customer), s=segment,
        )  # fmt: skip
    finally:
        await driver.close()
    ingest, evaluate, deliver = [], [], []
    for r in records:
        written = datetime.fromisoformat(r["written"].replace("Z", "+00:00")).timestamp()
        entered = datetime.fromisoformat(r["entered"].replace("Z", "+00:00")).timestamp()
        arrived = _Hook.arrivals.get(r["id"])
        ingest.append((written - sent[by_customer[r["id"]]]) * 1000)
        evaluate.append((entered - written) * 1000)
        if arrived is not None:
            deliver.append((arrived - entered) * 1000)
    if known:
        both = [i + e for i, e in zip(ingest, evaluate, strict=True)]
        return {"call_to_enter_written": _spread(both),
                "enter_written_to_webhook": _spread(deliver)}  # fmt: skip
    return {"call_to_customer_written": _spread(ingest),
            "written_to_enter_written": _spread(evaluate),
            "enter_written_to_webhook": _spread(deliver)}  # fmt: skip


def run(settings: Settings, customers: int, rate: int, seconds: float, seed: int) -> dict[str, Any]:
    rows, _ = dataset(customers, seed)
    for i, r in enumerate(rows):  # cities spread over the five and others
        r["city"] = [*CITIES, "Lyon", "Turin", "Porto", "Ghent", "Basel"][i % 10]
    load_seconds = asyncio.run(load(settings, rows))
    full = asyncio.run(_full_evaluation(settings, rows))
    logs = Path(tempfile.mkdtemp(prefix="graphcdp-bench-segments-"))
    service = Service(settings, 1, logs)
    try:
        asyncio.run(service.ready())
        latency = asyncio.run(_latency(service, settings, rate, seconds))
        known = asyncio.run(_latency(service, settings, rate, seconds, known=True))
    finally:
        service.stop()
    return {"customers": len(rows), "load_seconds": round(load_seconds, 1),
            "full_evaluation": full, "event_to_webhook": latency,
            "event_to_webhook_known": known, "logs": str(logs)}  # fmt: skip


def main(settings: Settings, customers: int, rate: int, seconds: float, seed: int,
         fresh: bool) -> int:  # fmt: skip
    if not fresh:
        print("graphcdp bench segments: it clears the graph: pass --fresh", file=sys.stderr)
        return 2
    print(json.dumps(run(settings, customers, rate, seconds, seed)))
    return 0
