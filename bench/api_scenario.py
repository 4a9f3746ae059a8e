"""One ``bench api`` scenario alone, on the graph a ``graphcdp bench api`` run left loaded.

``python -m bench.api_scenario --scenario cached [--seconds 10] [--clients 16] [--rate R]`` starts
an API process (``GRAPHCDP_API_WORKERS``), warms the scenario's requests, drives it with wrk
(or, with ``--rate``, at R requests a second on a fixed schedule: ``bench/openloop.py``), and
prints the same JSON summary, plus the busiest processes from ``top`` in the middle of the
run (``--top``). Without the 3-minute load, it repeats a scenario quickly, to see the
machine's run-to-run spread or to profile the API (its pid is printed on stderr).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from bench import openloop, wrk
from bench.api import BY_IDENTIFIER, RELATED, WITH_EVENTS, WITH_LISTS, _warm
from bench.ingest import Service
from graph.driver import open_driver
from graphcdp.settings import Settings

EMAILS = """MATCH (i:Identifier {type: 'email'})<-[:HAS_IDENTIFIER]-(:Record)-[:BELONGS_TO]->(c)
RETURN i.value AS email, c.customer_id AS id ORDER BY i.key SKIP $skip LIMIT $n"""
QUERIES = {"cached": BY_IDENTIFIER, "uncached": BY_IDENTIFIER, "lists": WITH_LISTS,
           "events": WITH_EVENTS, "related": RELATED}  # fmt: skip


async def _hot(settings: Settings, n: int, skip: int) -> list[dict[str, str]]:
    driver = await open_driver(settings)
    try:
        rows, _, _ = await driver.execute_query(EMAILS, n=n, skip=skip)
    finally:
        await driver.close()
    return [dict(r) for r in rows]


def _top(after: float, lines: list[str]) -> None:
    time.sleep(after)
    out = subprocess.run(["top", "-b", "-n", "2", "-d", "3"], capture_output=True, text=True,
                         check=False).stdout  # fmt: skip
    lines += [x[:100] for x in out.split("PID USER")[-1].splitlines()[1:9]]


def _cache_reads(base: str, headers: dict[str, str]) -> dict[str, float]:
    """The API's profile and response cache counters after the run (from /metrics)."""
    text = httpx.get(f"{base}/metrics", headers=headers, timeout=10).text
    return {line.split(" ")[0]: float(line.split(" ")[1]) for line in text.splitlines()
            if line.startswith(("graphcdp_profile_cache", "graphcdp_response_cache"))}  # fmt: skip


def run(
    scenario: str, seconds: float, clients: int, top: bool, rate: float = 0.0
) -> dict[str, Any]:
    settings = Settings.from_env()
    uncached = scenario == "uncached"
    # Uncached: emails far from any the bench warmed, each asked once, from a random place
    # (a run before this one left its emails' profiles in Redis); else a hot 1,000.
    skip = random.randrange(20_000, 60_000, 1_000) if uncached else 0
    rows = asyncio.run(_hot(settings, 20_000 if uncached else 1_000, skip))
    if scenario in ("cached", "uncached"):
        # (an email that several records share comes once: a repeat would be a cache hit)
        variables = [{"value": e} for e in dict.fromkeys(r["email"] for r in rows)]
    else:
        variables = [{"id": r["id"]} for r in rows]
    service = Service(settings, 0, Path(tempfile.mkdtemp(prefix="graphcdp-bench-scenario-")))
    try:
        asyncio.run(service.ready())
        print(f"API pid {service.procs[0].pid}", file=sys.stderr, flush=True)
        if not uncached:
            _warm(service.base, service.headers, QUERIES[scenario], variables)
        else:  # the new process's first reads open its Neo4j and Redis connections
            _warm(service.base, service.headers, QUERIES[scenario], variables[-100:])
            variables = variables[:-100]
        lines: list[str] = []
        sampler = threading.Thread(target=_top, args=(seconds / 3, lines))
        if top:
            sampler.start()
        if rate:
            result = openloop.drive(service.base, QUERIES[scenario], variables, rate, seconds,
                                    not uncached, service.headers)  # fmt: skip
        else:
            result = wrk.drive(service.base, QUERIES[scenario], variables, seconds, clients,
                               service.headers)  # fmt: skip
        if top:
            sampler.join()
            result["top"] = lines
        result["cache_reads"] = _cache_reads(service.base, service.headers)
    finally:
        service.stop()
    return {"scenario": scenario, "clients": clients, "api_workers": settings.api_workers,
            **result}  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", choices=sorted(QUERIES), default="cached")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--top", action="store_true", help="sample top in the middle of the run")
    parser.add_argument(
        "--rate",
        type=float,
        default=0.0,
        help="requests a second on a fixed schedule instead of wrk's --clients",
    )
    args = parser.parse_args()
    print(json.dumps(run(args.scenario, args.seconds, args.clients, args.top, args.rate)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
