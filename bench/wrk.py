"""The load generator of ``graphcdp bench api``: wrk (Debian's ``wrk`` package, C, one thread).

wrk sends the same requests a Python client would, at a small fraction of its CPU: on this
2-core machine an httpx client process took as much CPU as the API it measured. Each
scenario's request bodies are written one per line to a file; the Lua script below sends them
in turn (each wrk thread starting at its own offset and stepping by the thread count, so no
body repeats before all were sent), counts an answer as failed unless it is a 200 without
``"errors"`` and without a null root field, and prints one JSON line with wrk's latency
percentiles (microseconds) and counts.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from stack.servers import install_debian

SCRIPT = r"""
local bodies, headers = {}, {}
local step, index = 1, 0
local threads, count = {}, 0
failures, sample = 0, ""  -- globals: done() reads them from each thread

function setup(thread)
  count = count + 1
  thread:set("id", count)
  table.insert(threads, thread)
end

function init(args)
  for line in io.lines(args[1]) do bodies[#bodies + 1] = line end
  headers["Content-Type"] = "application/json"
  headers[args[2]] = args[3]
  step = tonumber(args[4])
  index = id - step
end

function request()
  index = index + step
  if index > #bodies then index = ((index - 1) % #bodies) + 1 end
  return wrk.format("POST", "/graphql", headers, bodies[index])
end

function response(status, _, body)
  if status ~= 200 or body:find('"errors"', 1, true) or body:find('^{"data":{"[%w_]+":null') then
    failures = failures + 1
    if sample == "" then sample = status .. " " .. body:sub(1, 200):gsub("%c", " ") end
  end
end

function done(summary, latency, requests)
  local failed, first = 0, ""
  for _, thread in ipairs(threads) do
    failed = failed + thread:get("failures")
    if first == "" then first = thread:get("sample") end
  end
  local e = summary.errors
  io.write(string.format(
    '\nWRK {"requests": %d, "duration_us": %d, "failed": %d, "socket_errors": %d, ' ..
    '"p50_us": %d, "p99_us": %d, "max_us": %d, "sample": %q}\n',
    summary.requests, summary.duration, failed,
    e.connect + e.read + e.write + e.timeout + e.status,
    latency:percentile(50), latency:percentile(99), latency.max, first))
end
"""


def wrk_binary() -> str:
    """wrk's path, installed from Debian's package when missing."""
    return shutil.which("wrk") or install_debian("wrk", "wrk")


def drive(
    base: str, query: str, variables: list[dict[str, Any]], seconds: float, clients: int,
    headers: dict[str, str], threads: int = 1,
) -> dict[str, Any]:  # fmt: skip
    """Send ``query`` with each of ``variables`` in turn over ``clients`` connections for
    ``seconds``; the same summary as the httpx generator (p50/p99 ms, requests per second,
    failures)."""
    binary = wrk_binary()
    with tempfile.TemporaryDirectory(prefix="graphcdp-wrk-") as tmp:
        bodies = Path(tmp) / "bodies.jsonl"
        bodies.write_text("".join(
            json.dumps({"query": query, "variables": v}, separators=(",", ":")) + "\n"
            for v in variables
        ))  # fmt: skip
        script = Path(tmp) / "graphql.lua"
        script.write_text(SCRIPT)
        (name, value), *_ = headers.items()
        threads = max(1, min(threads, clients))
        done = subprocess.run(
            [binary, "-t", str(threads), "-c", str(clients), "-d", f"{seconds:g}s",
             "--timeout", "30s", "-s", str(script), f"{base}/graphql", "--",
             str(bodies), name, value, str(threads)],
            capture_output=True, text=True, check=False, timeout=seconds + 120,
        )  # fmt: skip
    line = next((x for x in done.stdout.splitlines() if x.startswith("WRK ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr[-2000:]}")
    raw = json.loads(line[4:])
    ok = raw["requests"] - raw["failed"]
    seconds_run = raw["duration_us"] / 1e6
    failures = [f"{raw['failed']} failed answers, e.g. {raw['sample']}"] if raw["failed"] else []
    if raw["socket_errors"]:
        failures.append(f"{raw['socket_errors']} socket errors or timeouts")
    return {
        "requests": ok,
        "p50_ms": round(raw["p50_us"] / 1000, 2),
        "p99_ms": round(raw["p99_us"] / 1000, 2),
        "max_ms": round(raw["max_us"] / 1000, 2),
        "requests_per_s": round(ok / seconds_run) if seconds_run else 0,
        "failures": failures,
    }
