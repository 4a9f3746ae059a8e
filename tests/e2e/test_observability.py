"""Operations of the running API: request ids in responses and JSON logs, and /metrics with
GraphQL latency histograms and the consumer lag of every group."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from graphcdp.settings import Settings
from tests.e2e.conftest import ADMIN, DEMO_KEY, _running


@pytest.fixture(scope="module")
def api(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    logs = tmp_path_factory.mktemp("observed_api")
    with _running(("api",), logs) as base:
        yield base, logs / "api.log"


def test_each_request_has_an_id_in_its_answer_and_in_the_json_log_line(
    api: tuple[str, Path],
) -> None:
    base, log = api
    mine = httpx.post(f"{base}/graphql", json={"query": "{ __typename }"},
                      headers={"X-Request-ID": "trace-7f3a", **ADMIN})  # fmt: skip
    assert mine.headers["x-request-id"] == "trace-7f3a"
    theirs = httpx.post(f"{base}/graphql", json={"query": "{ __typename }"},
                        headers={"X-Request-ID": "not a sane id; drop table", **ADMIN})  # fmt: skip
    made = theirs.headers["x-request-id"]
    assert len(made) == 32
    assert made != "not a sane id; drop table"
    deadline = time.monotonic() + 5
    while True:
        lines = [json.loads(x) for x in log.read_text().splitlines() if x.startswith("{")]
        seen = {line.get("request_id"): line for line in lines if line["message"] == "request"}
        if "trace-7f3a" in seen and made in seen:
            break
        assert time.monotonic() < deadline, lines[-5:]
        time.sleep(0.2)
    line = seen["trace-7f3a"]
    assert (line["method"], line["path"], line["status"]) == ("POST", "/graphql", 200)
    assert line["ms"] > 0


def test_metrics_show_operation_latency_and_consumer_lag(
    api: tuple[str, Path], settings: Settings
) -> None:
    base, _ = api
    for _ in range(3):
        httpx.post(f"{base}/graphql", json={"query": "query Ping { __typename }"}, headers=ADMIN)
    httpx.post(f"{base}/graphql", json={"query": "query Broken { nosuchfield }"}, headers=ADMIN)
    text = httpx.get(f"{base}/metrics").text
    assert 'graphcdp_graphql_seconds_count{type="query",operation="Ping",outcome="ok"} 3' in text
    assert (
        'graphcdp_graphql_seconds_count{type="query",operation="Broken",outcome="error"} 1' in text
    )
    assert "graphcdp_consumer_lag_up 1" in text
    for group, topic in (
        (settings.worker_group, "cdp.events"),
        (settings.cache_group, "cdp.changes"),
    ):
        assert f'graphcdp_consumer_lag{{group="{group}",topic="{topic}"}}' in text


def test_a_cached_answer_on_the_fast_path_has_its_access_log_line(
    api: tuple[str, Path], service: str
) -> None:
    """A response-cache hit sent by ``api.fast_hits`` before the request-id middleware logs
    its line as every other request does (the customer comes in through the service)."""
    base, log = api
    user = f"obs-{uuid.uuid4().hex[:10]}"
    sent = httpx.post(f"{service}/v1/identify", auth=(DEMO_KEY, ""), timeout=10,
                      json={"userId": user, "traits": {"firstName": "Grace"}})  # fmt: skip
    assert sent.status_code == 200, sent.text
    body = {"query": "query ObsProfile($v: String!) { customer(identifier: "
            "{type: USER_ID, value: $v}) { id firstName } }", "variables": {"v": user}}  # fmt: skip
    deadline, n = time.monotonic() + 30, 0
    while True:  # until a read is a hit (new customers change again soon after they appear)
        hits = _hits(base)
        n += 1
        reply = httpx.post(f"{base}/graphql", json=body, timeout=10,
                           headers={"X-Request-ID": f"obs-{n}-{user}", **ADMIN})  # fmt: skip
        assert reply.status_code == 200, reply.text
        if _hits(base) == hits + 1:
            break
        assert time.monotonic() < deadline, reply.text
        time.sleep(0.3)
    rid = f"obs-{n}-{user}"
    assert reply.headers["x-request-id"] == rid
    deadline = time.monotonic() + 5
    while True:
        lines = [json.loads(x) for x in log.read_text().splitlines() if x.startswith("{")]
        seen = {line.get("request_id"): line for line in lines if line["message"] == "request"}
        if rid in seen:
            break
        assert time.monotonic() < deadline, lines[-5:]
        time.sleep(0.2)
    assert (seen[rid]["method"], seen[rid]["path"], seen[rid]["status"]) == (
        "POST",
        "/graphql",
        200,
    )


def _hits(base: str) -> int:
    text = httpx.get(f"{base}/metrics", timeout=5).text
    return int(
        float(text.split('graphcdp_response_cache_reads_total{outcome="hit"} ')[1].split()[0])
    )
