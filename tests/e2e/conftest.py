"""The running service: the real API and worker processes on the real stack."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from graph.repository import hash_secret
from graph.schema import apply_schema
from graphcdp.settings import Settings

DEMO_KEY = "graphcdp-demo-write-key"
STRICT_KEY = "graphcdp-strict-write-key"
# The API's bootstrap admin key (GRAPHCDP_ADMIN_KEY) and the header every /graphql call sends.
ADMIN_KEY = "graphcdp-e2e-admin-key-not-secret"
ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}
ADMIN_ACTOR = f"key:bootstrap-admin-{hash_secret(ADMIN_KEY)[:8]}"  # its name in the graph
JWT_SECRET = "graphcdp-e2e-jwt-secret-32-bytes-or-more"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def settings() -> Settings:
    settings = Settings.from_env()
    from stack import up

    up(settings)
    apply_schema(settings)
    return settings


def _env(port: int) -> dict[str, str]:
    return {
        **os.environ,
        "GRAPHCDP_API_PORT": str(port),
        "GRAPHCDP_TRACKING_PLAN": str(Path(__file__).parent / "fixtures" / "tracking_plan.yaml"),
        "GRAPHCDP_WRITE_KEYS": f"{DEMO_KEY}:demo,{STRICT_KEY}:strict",
        "GRAPHCDP_ADMIN_KEY": ADMIN_KEY,
        "GRAPHCDP_JWT_SECRET": JWT_SECRET,
    }


@contextlib.contextmanager
def _running(
    names: tuple[str, ...], logs: Path, extra: dict[str, str] | None = None
) -> Iterator[str]:
    """Start ``graphcdp <name>`` for each name on a fresh API port (with ``extra`` settings);
    yield the API's base URL once it answers /healthz; stop them all after."""
    port = _free_port()
    env = _env(port) | (extra or {})
    exe = [sys.executable, "-m", "graphcdp.cli"]
    procs = []
    for name in names:
        log = (logs / f"{name}.log").open("wb")
        procs.append((name, subprocess.Popen([*exe, name], env=env, stdout=log, stderr=log), log))
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            for name, proc, _ in procs:
                if proc.poll() is not None:
                    raise RuntimeError(f"{name} exited:\n{(logs / f'{name}.log').read_text()}")
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"API not healthy:\n{(logs / 'api.log').read_text()}")
            time.sleep(0.3)
        yield base
    finally:
        for _, proc, _ in procs:
            proc.terminate()
        for _, proc, log in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
            log.close()


@pytest.fixture(scope="session")
def service(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Start `graphcdp api` and `graphcdp worker`; yield the API's base URL."""
    with _running(("api", "worker"), tmp_path_factory.mktemp("service")) as base:
        yield base


@pytest.fixture(scope="session")
def second_api(service: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Another `graphcdp api` process beside the service's (same settings, its own port)."""
    with _running(("api",), tmp_path_factory.mktemp("second_api")) as base:
        yield base


@pytest.fixture(scope="session")
def api_without_redis(service: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A `graphcdp api` process whose Redis URL leads nowhere (nothing listens on port 1)."""
    extra = {"GRAPHCDP_REDIS_URL": "redis://127.0.0.1:1/0"}
    with _running(("api",), tmp_path_factory.mktemp("api_without_redis"), extra) as base:
        yield base


def _search_joined(base: str, timeout: float = 60) -> None:
    """Wait until the API's search follower holds its partitions of cdp.changes (a new
    group starts at the topic's end: a change published before that is not indexed)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        metrics = httpx.get(f"{base}/metrics", timeout=5).text
        line = next(m for m in metrics.splitlines() if m.startswith("graphcdp_search_partitions"))
        if int(line.split()[1]) > 0:
            return
        time.sleep(0.3)
    raise RuntimeError("the search follower never joined its group")


@pytest.fixture(scope="session")
def search_api(service: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A `graphcdp api` process searching an OpenSearch index of its own (a new index and
    consumer group, deleted after), beside the service's worker."""
    tag = uuid.uuid4().hex[:10]
    index = f"test-e2e-customers-{tag}"
    extra = {"GRAPHCDP_SEARCH_INDEX": index, "GRAPHCDP_SEARCH_GROUP": f"test-e2e-search-{tag}"}
    try:
        with _running(("api",), tmp_path_factory.mktemp("search_api"), extra) as base:
            _search_joined(base)
            yield base
    finally:
        url = Settings.from_env().opensearch_url
        if url:
            httpx.delete(f"{url.rstrip('/')}/{index}", timeout=30)


@pytest.fixture(scope="session")
def neo4j_search_api(service: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A `graphcdp api` process without OpenSearch configured: search runs on Neo4j."""
    extra = {"GRAPHCDP_OPENSEARCH_URL": ""}
    with _running(("api",), tmp_path_factory.mktemp("neo4j_search_api"), extra) as base:
        yield base


@pytest.fixture(scope="session")
def production_api(service: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A `graphcdp api` process with GRAPHCDP_ENV=production beside the service's."""
    extra = {"GRAPHCDP_ENV": "production"}
    with _running(("api",), tmp_path_factory.mktemp("production_api"), extra) as base:
        yield base
