"""Whole GraphQL responses kept in this process, for the documents that read only profiles.

A frontend asks the same few profile queries again and again. Executing one costs about
1 ms of CPU in Strawberry even when the profile is in memory, which caps a 2-core machine
at a few hundred reads a second. So the answer itself is kept: the body of a ``POST
/graphql`` whose document ``resolvers.cacheable`` accepts (only ``customer`` and the fields
of its cached profile) is stored under (the caller's role, the exact request body), tagged
with the customers it showed, and sent again for the same body until one of those customers
changes.

- **Freshness.** Every change that forgets a profile in this process
  (``ProfileCache.on_forget``: the ``cdp.changes`` follower and the Redis pub/sub message,
  each repeated after ``settle``) forgets the responses tagged with that customer, so a
  cached response is never older than the cached profile would be: the change plus 1 s. A
  response whose customer changed while it was being computed is not stored.
- **Only clean answers** are kept: status 200, no GraphQL errors, every ``customer`` found
  (a missing customer could appear at any time).
- **Roles and audit.** The role is part of the key (it decides the PII masking). A hit that
  read PII is audited like the request that filled the entry, with the caller's actor and the
  time of the hit.
- **Bounds.** At most ``size`` responses, each for at most ``ttl`` seconds (the profile
  cache's own settings); a size of 0 turns the cache off.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cachetools import TLRUCache, TTLCache
from graphql import GraphQLSchema
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.auth import CALLER, Caller
from graph.cache import spread_ttl_cache
from graph.model import now_iso
from ingest.payload import parse_json
from ingest.spec import InvalidEvent
from resolvers.audit.trail import AuditLog
from resolvers.cacheable import cacheable, operation_name
from resolvers.context import Context
from resolvers.metrics import OPERATIONS

log = logging.getLogger(__name__)

CONTEXT = "graphcdp.context"  # scope key: the request's GraphQL Context (set by get_context)
# Bodies larger than this are never cached (a profile query is a few hundred bytes).
MAX_KEY_BYTES = 8192
_JSON = (b"content-type", b"application/json")


@dataclass(frozen=True)
class Entry:
    """One kept response: its body, the customers it shows, and its audit record."""

    body: bytes
    tags: frozenset[str]
    operation: str | None
    audit: Mapping[str, Any] | None = None  # the first answer's audit row


@dataclass
class ResponseStats:
    hits: int = 0
    misses: int = 0
    stored: int = 0
    forgotten: int = 0

    def prometheus(self) -> str:
        return (
            "# TYPE graphcdp_response_cache_reads_total counter\n"
            f'graphcdp_response_cache_reads_total{{outcome="hit"}} {self.hits}\n'
            f'graphcdp_response_cache_reads_total{{outcome="miss"}} {self.misses}\n'
            "# TYPE graphcdp_response_cache_stored_total counter\n"
            f"graphcdp_response_cache_stored_total {self.stored}\n"
            "# TYPE graphcdp_response_cache_forgotten_total counter\n"
            f"graphcdp_response_cache_forgotten_total {self.forgotten}\n"
        )


@dataclass
class ResponseCache:
    """Responses by key, with an index from customer id (tag) to the keys showing it."""

    size: int
    ttl: float
    stats: ResponseStats = field(default_factory=ResponseStats)

    def __post_init__(self) -> None:
        # (each entry expires after 75-100% of ttl: spread_ttl_cache)
        self._entries: TLRUCache[tuple[str, bytes], Entry] = spread_ttl_cache(
            max(1, self.size), self.ttl
        )
        self._by_tag: dict[str, set[tuple[str, bytes]]] = {}
        self._seq = 0
        # tag -> the sequence number of its latest invalidation (recent ones only)
        self._changed: TTLCache[str, int] = TTLCache(max(1024, self.size * 4), 60)

    @property
    def enabled(self) -> bool:
        return self.size > 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: tuple[str, bytes]) -> Entry | None:
        return self._entries.get(key)

    def hit(self, entry: Entry, caller: Caller, audit: AuditLog | None, started: float) -> None:
        """Account for ``entry`` sent to ``caller``: the counter, its audit entry (when it
        read PII), and the operation's latency since ``started`` (``time.perf_counter``)."""
        self.stats.hits += 1
        audit_hit(audit, entry, caller)
        OPERATIONS.observe("query", entry.operation, True, time.perf_counter() - started)

    def begin(self) -> int:
        """The point a computation starts from (see :meth:`put`)."""
        return self._seq

    def put(self, key: tuple[str, bytes], entry: Entry, since: int) -> bool:
        """Keep ``entry`` unless one of its customers changed (or everything was forgotten)
        after ``since``."""
        if any(self._changed.get(tag, -1) > since for tag in (*entry.tags, "*")):
            return False
        old = self._entries.get(key)
        if old is not None:
            self._untag(key, old.tags)
        self._entries[key] = entry
        for tag in entry.tags:
            self._by_tag.setdefault(tag, set()).add(key)
        self.stats.stored += 1
        return True

    def forget(self, tags: Iterable[str] | None) -> None:
        """Forget every response showing one of ``tags`` (None: every response)."""
        self._seq += 1
        if tags is None:
            self._entries.clear()
            self._by_tag.clear()
            self._changed.clear()
            self._changed["*"] = self._seq  # computations begun before this never store
            return
        for tag in tags:
            self._changed[tag] = self._seq
            for key in self._by_tag.pop(tag, ()):
                if self._entries.pop(key, None) is not None:
                    self.stats.forgotten += 1

    def _untag(self, key: tuple[str, bytes], tags: Iterable[str]) -> None:
        for tag in tags:
            keys = self._by_tag.get(tag)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del self._by_tag[tag]


class CachedResponses:
    """ASGI wrapper of the GraphQL app (inside ``RequireCaller``): answers a repeated
    cacheable ``POST /graphql`` from ``cache``, and fills it from the app's clean answers."""

    def __init__(self, app: ASGIApp, schema: GraphQLSchema, cache: ResponseCache) -> None:
        self.app = app
        self.schema = schema
        self.cache = cache

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        caller = scope.get(CALLER)
        if (
            not self.cache.enabled
            or scope["type"] != "http"
            or scope.get("method") != "POST"
            or not isinstance(caller, Caller)
            or not _plain_json(scope)
        ):
            await self.app(scope, receive, send)
            return
        body, more = await read_body(receive)
        replay = replaying(body, more, receive)
        if more or len(body) > MAX_KEY_BYTES:
            await self.app(scope, replay, send)
            return
        key = (caller.role, body)
        started = time.perf_counter()
        entry = self.cache.get(key)
        if entry is not None:
            await send_json(send, entry.body)
            self.cache.hit(entry, caller, getattr(scope["app"].state, "audit", None), started)
            return
        request = _document(body)
        if request is None or not cacheable(self.schema, *request):
            await self.app(scope, replay, send)
            return
        self.cache.stats.misses += 1
        since = self.cache.begin()
        captured = _Captured(send)
        await self.app(scope, replay, captured)
        context = scope.get(CONTEXT)
        if (
            captured.status == 200
            and captured.complete
            and isinstance(context, Context)
            and context.answer.clean
            and context.answer.tags
        ):
            answer = context.answer
            name = operation_name(self.schema, *request)
            self.cache.put(key, Entry(
                bytes(captured.body), frozenset(answer.tags), name, answer.audit
            ), since)  # fmt: skip


def audit_hit(audit: AuditLog | None, entry: Entry, caller: Caller) -> None:
    """A hit of an answer that was audited (it read PII) is an audit entry of its own: the
    same fields and customers, this caller, now."""
    if audit is None or entry.audit is None:
        return
    audit.record({
        **entry.audit, "entry_id": f"aud_{os.urandom(16).hex()}", "at": now_iso(),
        "actor": caller.actor, "role": caller.role,
    })  # fmt: skip


def _plain_json(scope: Scope) -> bool:
    """A JSON body as sent, not gzipped (those go to the app as they are)."""
    json_body = False
    for name, value in scope.get("headers", ()):
        if name == b"content-encoding":
            return False
        if name == b"content-type" and value.split(b";")[0].strip().lower() == _JSON[1]:
            json_body = True
    return json_body


def _document(body: bytes) -> tuple[str, str | None] | None:
    """The request's (query, operationName), or None when it is not a plain query request."""
    try:
        parsed = parse_json(body)
    except InvalidEvent:
        return None
    if not isinstance(parsed, dict):
        return None
    query, name = parsed.get("query"), parsed.get("operationName")
    if not isinstance(query, str) or not (name is None or isinstance(name, str)):
        return None
    return query, name


async def read_body(receive: Receive) -> tuple[bytes, bool]:
    """The body up to MAX_KEY_BYTES (and whether more is still to come)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), False
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks), False
        if size > MAX_KEY_BYTES:
            return b"".join(chunks), True


def replaying(body: bytes, more: bool, receive: Receive) -> Receive:
    """A receive that hands the app the body already read, then the rest as it comes."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": more}
        return await receive()

    return replay


async def send_json(
    send: Send, body: bytes, more_headers: Iterable[tuple[bytes, bytes]] = ()
) -> None:
    """A 200 with ``body`` as JSON (content type, length, then ``more_headers``)."""
    await send({
        "type": "http.response.start", "status": 200,
        "headers": [_JSON, (b"content-length", str(len(body)).encode()), *more_headers],
    })  # fmt: skip
    await send({"type": "http.response.body", "body": body})


class _Captured:
    """A send that passes everything on and keeps a copy of the response."""

    def __init__(self, send: Send) -> None:
        self.send = send
        self.status = 0
        self.body = bytearray()
        self.complete = False

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = int(message["status"])
        elif message["type"] == "http.response.body":
            self.body += message.get("body", b"")
            self.complete = not message.get("more_body", False)
        await self.send(message)
