"""A webhook destination for e2e tests (a helper module, not a test): an HTTP server in the
test process that keeps every request it gets (deliveries are POSTs, erasure notices DELETEs)
and reads the deltas back with their signatures checked."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import http.server
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    body: bytes


@dataclass
class Receiver:
    """What one receiver got, and where it listens."""

    base: str = ""
    got: list[Request] = field(default_factory=list)

    def deltas(self, secret: str, segment_id: str) -> list[dict[str, Any]]:
        """Every delta delivered for the segment, in order, each delivery's signature (HMAC-SHA256
        of the body with ``secret``) and delivery id checked."""
        out: list[dict[str, Any]] = []
        for request in list(self.got):
            if request.method != "POST":
                continue
            body = signed(secret, request)
            assert request.headers["x-graphcdp-delivery"] == body["delivery_id"]
            if body["segment_id"] == segment_id:
                out += body["deltas"]
        return out


def signed(secret: str, request: Request) -> dict[str, Any]:
    """The JSON body of a request whose signature header is right."""
    expected = hmac.new(secret.encode(), request.body, hashlib.sha256).hexdigest()
    assert request.headers["x-graphcdp-signature"] == f"sha256={expected}"
    body: dict[str, Any] = json.loads(request.body)
    return body


@contextlib.contextmanager
def receiving() -> Iterator[Receiver]:
    """A receiver on a free port of 127.0.0.1 until the block ends; it answers 200."""
    receiver = Receiver()

    class Handler(http.server.BaseHTTPRequestHandler):
        def _keep(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            headers = {k.lower(): v for k, v in self.headers.items()}
            receiver.got.append(Request(self.command, self.path, headers, body))
            self.send_response(200)
            self.end_headers()

        do_POST = do_DELETE = _keep

        def log_message(self, *args: object) -> None:  # quiet
            return

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    receiver.base = f"http://127.0.0.1:{port}"
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


def wait(what: Callable[[], T | None], timeout: float = 30) -> T:
    """``what()`` once it is truthy (polled every 0.2 s); fails after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not (found := what()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)
    return found
