"""An open-loop load generator for ``graphcdp bench api``: requests on a fixed schedule.

wrk (``bench/wrk.py``) keeps ``--clients`` requests in flight and sends the next the moment
an answer arrives: it finds the API's throughput, and its latency is the latency at
saturation (each request waits behind the others, about ``clients / rate``). A latency goal is
a statement about a load below saturation, so this generator sends ``rate`` requests a second
on a fixed schedule whatever the answers do, and times each from the moment it was *due*, not
from when it was sent: a request that waits for a free connection, or goes out late because
the machine was busy, counts the wait (the correction wrk2 makes for coordinated omission).

Requests go over plain HTTP/1.1 keep-alive connections (asyncio streams, the bodies encoded
before the clock starts), a new connection opened whenever none is free, up to
``MAX_CONNECTIONS`` (one the server closed while idle is replaced, and the request sent again
on the new one); it runs in a process of its own. An answer counts as failed unless it is
a 200 whose body has no ``"errors"`` and no null root field, as in ``bench/wrk.py``.
"""

from __future__ import annotations

import asyncio
import gc
import json
import math
import multiprocessing
import re
import statistics
import time
from typing import Any
from urllib.parse import urlsplit

MAX_CONNECTIONS = 64
NULL_ROOT = re.compile(rb'^\{"data":\{"\w+":null')


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    async def exchange(self, request: bytes) -> tuple[int, bytes]:
        """Send one request; (status, body). The API answers with a Content-Length."""
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        length = None
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        if length is None:
            raise RuntimeError(f"an answer without Content-Length: {head[:200]!r}")
        return status, await self.reader.readexactly(length)


def _requests(base: str, query: str, variables: list[dict[str, Any]],
              headers: dict[str, str]) -> list[bytes]:  # fmt: skip
    host = urlsplit(base).netloc
    extra = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    out = []
    for v in variables:
        body = json.dumps({"query": query, "variables": v}, separators=(",", ":")).encode()
        out.append(
            f"POST /graphql HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n{extra}\r\n".encode()
            + body
        )
    return out


def _drive(base: str, query: str, variables: list[dict[str, Any]], rate: float, seconds: float,
           cycle: bool, headers: dict[str, str]) -> dict[str, Any]:  # fmt: skip
    """The generator itself (in its own process); the summary of :func:`drive`."""
    requests = _requests(base, query, variables, headers)
    count = int(rate * seconds)
    if not cycle:
        count = min(count, len(requests))
    split = urlsplit(base)

    async def run() -> dict[str, Any]:
        idle: list[_Connection] = []
        opened = 0
        free = asyncio.Condition()
        latencies: list[float] = []
        slowest: list[tuple[float, int, float]] = []  # (seconds, request number, late)
        failures: list[str] = []
        failed = 0

        async def take() -> _Connection:
            nonlocal opened
            async with free:
                while not idle and opened >= MAX_CONNECTIONS:
                    await free.wait()
                if idle:
                    return idle.pop()
                opened += 1
            reader, writer = await asyncio.open_connection(split.hostname, split.port)
            return _Connection(reader, writer)

        async def give(connection: _Connection) -> None:
            async with free:
                idle.append(connection)
                free.notify()

        async def one(n: int, due: float) -> None:
            nonlocal failed
            connection = await take()
            sent = time.perf_counter()
            request = requests[n % len(requests)]
            try:
                status, body = await connection.exchange(request)
            except (asyncio.IncompleteReadError, ConnectionError):
                # The server closed the connection while it sat idle (uvicorn's keep-alive
                # timeout, 5 s) before reading the request: send it again on a new one.
                connection.writer.close()
                reader, writer = await asyncio.open_connection(split.hostname, split.port)
                connection = _Connection(reader, writer)
                status, body = await connection.exchange(request)
            latencies.append(time.perf_counter() - due)
            slowest.append((latencies[-1], n, sent - due))
            await give(connection)
            if status != 200 or b'"errors"' in body or NULL_ROOT.match(body):
                failed += 1
                if len(failures) < 5:
                    failures.append(f"{status} {body[:200].decode(errors='replace')}")

        # Connections for the first 20 ms of the schedule are opened before it starts, so
        # the run does not begin with a burst of TCP connects (which showed as a stall).
        for _ in range(min(MAX_CONNECTIONS, max(2, math.ceil(rate / 50)))):
            reader, writer = await asyncio.open_connection(split.hostname, split.port)
            idle.append(_Connection(reader, writer))
            opened += 1
        tasks = []
        start = time.perf_counter() + 0.05
        started_at = time.time() + 0.05  # the same moment on the wall clock
        for n in range(count):
            due = start + n / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(n, due)))
        await asyncio.gather(*tasks)
        wall = time.perf_counter() - start
        for connection in idle:
            connection.writer.close()
            await connection.writer.wait_closed()
        ms = sorted(x * 1000 for x in latencies)
        return {
            "rate": rate,
            "requests": len(ms),
            "failed": failed,
            "p50_ms": round(statistics.median(ms), 2) if ms else None,
            "p99_ms": round(ms[min(len(ms) - 1, int(len(ms) * 0.99))], 2) if ms else None,
            "max_ms": round(ms[-1], 2) if ms else None,
            "achieved_per_s": round(len(ms) / wall),
            "connections": opened,
            # the schedule's start (UTC), to find its slowest moments in other logs
            "started_at": _utc(started_at),
            # when the slowest answers were due: seconds into the run, and ms they took
            "slowest": [
                (round(n / rate, 2), round(x * 1000, 1), round(late * 1000, 1))
                for x, n, late in sorted(slowest)[-5:]
            ],
            "failures": failures,
        }

    # The generator's own pauses would count against the API (a request is timed from when it
    # was due): a full collection of its tasks and buffers took 70 ms at 1,700 requests a
    # second and showed as a 240 ms stall. So no collection runs during the schedule.
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        return asyncio.run(run())
    finally:
        gc.enable()
        gc.unfreeze()


def _utc(epoch: float) -> str:
    moment = time.gmtime(epoch)
    return time.strftime("%Y-%m-%dT%H:%M:%S", moment) + f".{int(epoch % 1 * 1000):03d}Z"


def drive(base: str, query: str, variables: list[dict[str, Any]], rate: float, seconds: float,
          cycle: bool, headers: dict[str, str]) -> dict[str, Any]:  # fmt: skip
    """``rate`` requests a second for ``seconds`` (each the next of ``variables``; without
    ``cycle`` at most one per variable), from a separate process; p50/p99/max ms measured
    from each request's due time, the rate achieved, the connections it needed."""
    context = multiprocessing.get_context("spawn")
    with context.Pool(1) as pool:
        job = pool.apply_async(_drive, (base, query, variables, rate, seconds, cycle, headers))
        return job.get()
