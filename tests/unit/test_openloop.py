"""bench.openloop against a small real HTTP server in a thread: the schedule, the latency
measured from each request's due time, and what counts as failed."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from bench.openloop import _drive, _requests


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the API
    slow: ClassVar[set[str]] = set()
    closing: ClassVar[bool] = False  # close each connection after its answer
    seen: ClassVar[list[dict[str, object]]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.seen.append({"body": body, "key": self.headers.get("X-Api-Key")})
        value = body["variables"]["v"]
        if value in self.slow:
            time.sleep(0.3)
        data = {"data": {"customer": None if value == "missing" else {"id": value}}}
        raw = json.dumps(data, separators=(",", ":")).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)
        self.close_connection = self.closing

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def base() -> Iterator[str]:
    _Handler.slow, _Handler.seen, _Handler.closing = set(), [], False
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


QUERY = "query ($v: String!) { customer(id: $v) { id } }"


def test_requests_are_complete_http_posts_with_the_headers() -> None:
    (raw,) = _requests("http://127.0.0.1:8000", QUERY, [{"v": "a"}], {"X-Api-Key": "k"})
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"POST /graphql HTTP/1.1\r\nHost: 127.0.0.1:8000\r\n")
    assert b"X-Api-Key: k" in head
    assert f"Content-Length: {len(body)}".encode() in head
    assert json.loads(body) == {"query": QUERY, "variables": {"v": "a"}}


def test_sends_the_rate_for_the_seconds_and_each_variable_in_turn(base: str) -> None:
    variables = [{"v": f"c{i}"} for i in range(7)]
    before = datetime.now(UTC)
    found = _drive(base, QUERY, variables, 100, 0.5, True, {"X-Api-Key": "k"})
    started = datetime.fromisoformat(found["started_at"])
    assert before <= started <= before + timedelta(seconds=5)
    assert found["requests"] == 50
    assert found["failed"] == 0
    assert [s["body"]["variables"]["v"] for s in _Handler.seen[:8]] == [
        "c0", "c1", "c2", "c3", "c4", "c5", "c6", "c0"
    ]  # fmt: skip
    assert {s["key"] for s in _Handler.seen} == {"k"}
    assert 0 < found["p50_ms"] <= found["p99_ms"] <= found["max_ms"]
    assert found["achieved_per_s"] > 60  # a 0.5 s run of 50 requests


def test_without_cycle_each_variable_is_sent_once(base: str) -> None:
    found = _drive(base, QUERY, [{"v": "a"}, {"v": "b"}], 100, 1.0, False, {})
    assert found["requests"] == 2
    assert sorted(s["body"]["variables"]["v"] for s in _Handler.seen) == ["a", "b"]


def test_a_slow_answer_counts_from_its_due_time_and_does_not_delay_the_schedule(
    base: str,
) -> None:
    _Handler.slow = {"c3"}
    variables = [{"v": f"c{i}"} for i in range(40)]
    found = _drive(base, QUERY, variables, 100, 0.4, False, {})
    assert found["requests"] == 40
    assert found["max_ms"] >= 300  # the slow one
    assert found["p50_ms"] < 100  # the others went out on time, on other connections
    assert found["connections"] >= 2


def test_a_null_root_field_is_a_failure(base: str) -> None:
    found = _drive(base, QUERY, [{"v": "ok"}, {"v": "missing"}], 50, 0.2, False, {})
    assert found["failed"] == 1
    assert found["failures"][0].startswith('200 {"data":{"customer":null')


def test_a_connection_the_server_closed_is_replaced_and_the_request_sent_again(
    base: str,
) -> None:
    _Handler.closing = True  # as uvicorn does to a keep-alive connection idle for 5 s
    found = _drive(base, QUERY, [{"v": f"c{i}"} for i in range(10)], 50, 0.2, False, {})
    assert found["requests"] == 10
    assert found["failed"] == 0
    assert sorted(s["body"]["variables"]["v"] for s in _Handler.seen) == sorted(
        f"c{i}" for i in range(10)
    )
