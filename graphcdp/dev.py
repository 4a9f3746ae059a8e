"""``graphcdp dev`` (what ``make run`` ends with): API + worker + demo data until Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from types import FrameType

import httpx

from graphcdp.local_key import local_admin_key
from graphcdp.settings import Settings
from ingest.demo import DemoTimeout, load_demo

SAMPLE_QUERY = """{
  customer(identifier: {type: EMAIL, value: "ada@example.com"}) {
    id displayName email phone recordCount
    identifiers { type value }
    devices { id kind }
  }
}"""


def run_dev(settings: Settings) -> int:
    base = f"http://{settings.api_host}:{settings.api_port}"
    exe = [sys.executable, "-m", "graphcdp.cli"]
    admin_key = local_admin_key(settings)
    api = subprocess.Popen([*exe, "api"], env={**os.environ, "GRAPHCDP_ADMIN_KEY": admin_key})
    worker = subprocess.Popen([*exe, "worker"])
    children = (api, worker)

    def stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        _wait_healthy(base, api)
        try:
            sent, _ = load_demo(base, settings)
        except DemoTimeout as err:
            raise SystemExit(f"graphcdp dev: {err}; see the worker's log") from None
        _wait_profile(base, admin_key)
        print(
            f"\nGraphCDP is running ({sent} demo calls sent through the tracking API).\n"
            f"  GraphiQL:      {base}/graphql\n"
            f"  Tracking API:  {base}/v1/identify  (write key: "
            f"{next(iter(settings.parsed_write_keys()))})\n"
            f"  Admin API key: {admin_key}  (kept in {settings.state_dir}/admin-key; send it as\n"
            f"                 'Authorization: Bearer <key>', in GraphiQL's Headers tab too)\n"
            f"  Stack:         graphcdp stack status\n\n"
            f"Try this query in GraphiQL:\n{SAMPLE_QUERY}\n\n"
            "Ctrl-C stops the API and the worker; `make stack-down` stops the servers.",
            flush=True,
        )
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
        print("graphcdp dev: a child process exited; stopping", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGINT)
        for child in children:
            try:
                child.wait(timeout=20)
            except subprocess.TimeoutExpired:
                child.kill()


def _wait_healthy(base: str, api: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if api.poll() is not None:
            raise SystemExit("graphcdp dev: the API exited during start-up")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"graphcdp dev: the API did not answer on {base} within {timeout:.0f} s")


def _wait_profile(base: str, admin_key: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    headers = {"Authorization": f"Bearer {admin_key}"}
    while time.monotonic() < deadline:
        reply = httpx.post(
            f"{base}/graphql", json={"query": SAMPLE_QUERY}, headers=headers, timeout=5
        ).json()
        if (reply.get("data") or {}).get("customer"):
            return
        time.sleep(0.3)
    raise SystemExit("graphcdp dev: the demo profile did not appear; see the worker's log")
