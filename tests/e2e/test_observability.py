"""Operations of the running API: request ids in responses and JSON logs, and /metrics with
GraphQL latency histograms and the consumer lag of every group."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from graphcdp.settings import Settings
from tests.e2e.conftest import ADMIN, _running


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
