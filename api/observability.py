"""Request ids and access logs of the API, and the consumer lag it reports.

Every HTTP request gets a request id (the caller's ``X-Request-ID`` when it sends a sane one,
else a new one), returned in the response's ``X-Request-ID`` and carried by every log line
written while the request is served (GraphQL operations are timed by
:mod:`resolvers.metrics`); the consumer lag of GraphCDP's consumer groups is read from Kafka
when ``/metrics`` is scraped (at most every few seconds).
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import MutableMapping
from typing import Any

from graphcdp.logs import request_id

log = logging.getLogger(__name__)
access = logging.getLogger("graphcdp.access")

_SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


class RequestIds:
    """ASGI middleware: a request id per HTTP request and one access log line for it."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        sent = dict(scope.get("headers") or []).get(b"x-request-id", b"")
        rid = request_id_for(sent)
        token = request_id.set(rid)
        started = time.perf_counter()
        status = 0

        async def send_with_id(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []),
                                      (b"x-request-id", rid.encode())]  # fmt: skip
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            if scope["type"] == "http" and scope["path"] not in ("/healthz", "/metrics"):
                log_access(scope, status, started)
            request_id.reset(token)


def request_id_for(sent: bytes) -> str:
    """The request id of a request that sent ``sent`` as its ``X-Request-ID``: that one when
    it is sane, else a new one (32 hex digits, as random as a UUID4 but a fifth of its cost).
    """
    text = sent.decode("latin-1")
    return text if _SANE_ID.match(text) else os.urandom(16).hex()


def log_access(scope: MutableMapping[str, Any], status: int, started: float) -> None:
    """The access log line of an HTTP request answered with ``status`` (``started``:
    ``time.perf_counter()`` when it arrived), under the request id of the current context."""
    if access.isEnabledFor(logging.INFO):
        access.info("request", extra={
            "method": scope["method"], "path": scope["path"], "status": status,
            "ms": round((time.perf_counter() - started) * 1000, 2),
        })  # fmt: skip


class ConsumerLag:
    """Messages not yet consumed (end offset minus committed offset, summed over partitions)
    for each consumer group and topic of ``groups``, read from Kafka at most every ``every``
    seconds; ``graphcdp_consumer_lag_up`` is 0 while Kafka does not answer."""

    def __init__(self, bootstrap: str, groups: dict[str, tuple[str, ...]], every: float = 5.0):
        self._bootstrap, self._groups, self._every = bootstrap, groups, every
        self._at = float("-inf")
        self._lag: dict[tuple[str, str], int] = {}
        self._up = False
        self._admin: Any = None
        self._ends: Any = None

    async def prometheus(self) -> str:
        if time.monotonic() - self._at >= self._every:
            self._at = time.monotonic()
            try:
                self._lag, self._up = await self.read(), True
            except Exception as err:  # any Kafka failure: report it as down, keep serving
                log.warning("consumer lag unavailable: %s", err)
                self._up = False
        lines = ["# TYPE graphcdp_consumer_lag gauge"]
        lines += [f'graphcdp_consumer_lag{{group="{g}",topic="{t}"}} {n}'
                  for (g, t), n in sorted(self._lag.items())]  # fmt: skip
        lines += [
            "# TYPE graphcdp_consumer_lag_up gauge",
            f"graphcdp_consumer_lag_up {int(self._up)}",
        ]
        return "\n".join(lines) + "\n"

    async def read(self) -> dict[tuple[str, str], int]:
        """The lag now, by (group, topic); raises what Kafka raises."""
        from aiokafka import AIOKafkaConsumer
        from aiokafka.admin import AIOKafkaAdminClient

        if self._admin is None:
            admin = AIOKafkaAdminClient(bootstrap_servers=self._bootstrap)
            await admin.start()
            ends = AIOKafkaConsumer(bootstrap_servers=self._bootstrap)
            await ends.start()
            self._admin, self._ends = admin, ends
        lag: dict[tuple[str, str], int] = {}
        for group, topics in self._groups.items():
            committed = await self._admin.list_consumer_group_offsets(group)
            parts = [tp for tp in committed if tp.topic in topics and committed[tp].offset >= 0]
            end = await self._ends.end_offsets(parts) if parts else {}
            for topic in topics:
                lag[(group, topic)] = sum(
                    max(0, end[tp] - committed[tp].offset) for tp in parts if tp.topic == topic
                )
        return lag

    async def close(self) -> None:
        if self._admin is not None:
            await self._admin.close()
            await self._ends.stop()
