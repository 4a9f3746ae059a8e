"""The hot path of repeated profile reads: a kept answer sent before Starlette's layers.

A hit in the response cache (:mod:`api.response_cache`) took about 0.36 ms of CPU, and most
of it went to the layers a request passes on its way to the cache: request ids, CORS, the
exception handlers, the router, the body limit, the caller's authentication, each wrapping
``send`` again (bench/README.md, session 15). This middleware, the first inside Starlette's
error handler, answers a hit itself when every one of those layers' decisions is known
without I/O:

- ``POST /graphql`` with a plain JSON body (not gzipped) of at most ``MAX_KEY_BYTES``;
- an API key (``X-API-Key`` or ``Authorization: Bearer``) the authenticator already holds
  as found, not revoked and of a known role (:meth:`Authenticator.known_caller`);
- the kept answer for (that role, that body) exists.

The answer is the one the full stack would send: the same status, body and headers
(``Vary: Origin``; with an ``Origin``, CORS's ``Access-Control-*`` headers; the request id,
the caller's sane ``X-Request-ID`` or a new one), the same access log line, audit entry and
operation metrics. A test compares the two header by header. Everything else — a miss, a
JWT, a key not looked up yet, another path or method — goes on through the full stack with
the body already read handed on, so nothing about it changes.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from api.auth import credential
from api.observability import log_access, request_id_for
from api.response_cache import MAX_KEY_BYTES, ResponseCache, read_body, replaying, send_json
from graphcdp.logs import request_id

_JSON = b"application/json"


class FastHits:
    """ASGI middleware answering response-cache hits of ``path`` before the other layers.

    Args:
        app: the rest of the stack (request ids, CORS, router ...).
        cache: the response cache the ``path`` route fills.
        cors_headers: the headers CORS adds to a simple response when the request has an
            ``Origin`` (CORSMiddleware's ``simple_headers``; they must not depend on the
            origin), before its ``Vary: Origin``.
        path: the GraphQL route.
    """

    def __init__(
        self,
        app: ASGIApp,
        cache: ResponseCache,
        cors_headers: Sequence[tuple[bytes, bytes]],
        path: str = "/graphql",
    ) -> None:
        self.app = app
        self.cache = cache
        self.cors_headers = tuple(cors_headers)
        self.path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["path"] != self.path
            or scope["method"] != "POST"
            or not self.cache.enabled
        ):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        found: dict[bytes, bytes] = {}
        for name, value in scope["headers"]:
            if name in _FIRST:
                found.setdefault(name, value)
            elif name == b"x-request-id":  # RequestIds takes the last one
                found[name] = value
        if b"content-encoding" in found or (
            found.get(b"content-type", b"").split(b";")[0].strip().lower() != _JSON
        ):
            await self.app(scope, receive, send)
            return
        token = credential({
            "x-api-key": found.get(b"x-api-key", b"").decode("latin-1"),
            "authorization": found.get(b"authorization", b"").decode("latin-1"),
        })  # fmt: skip
        authenticator = getattr(scope["app"].state, "authenticator", None)
        caller = None
        if token is not None and authenticator is not None:
            caller = authenticator.known_caller(token)
        if caller is None:
            await self.app(scope, receive, send)
            return
        body, more = await read_body(receive)
        entry = None if more or len(body) > MAX_KEY_BYTES else self.cache.get((caller.role, body))
        if entry is None:
            await self.app(scope, replaying(body, more, receive), send)
            return
        rid = request_id_for(found.get(b"x-request-id", b""))
        headers = [*self.cors_headers] if b"origin" in found else []
        headers += [(b"vary", b"Origin"), (b"x-request-id", rid.encode())]
        context = request_id.set(rid)
        try:
            await send_json(send, entry.body, headers)
            self.cache.hit(entry, caller, getattr(scope["app"].state, "audit", None), started)
            log_access(scope, 200, started)
        finally:
            request_id.reset(context)


_FIRST = frozenset(
    (b"content-type", b"content-encoding", b"x-api-key", b"authorization", b"origin")
)


def cors_simple_headers(options: Mapping[str, Any]) -> list[tuple[bytes, bytes]]:
    """The headers Starlette's ``CORSMiddleware(**options)`` adds to a simple response to a
    request with an ``Origin``, in its order.

    Raises:
        ValueError: options under which those headers depend on the origin (specific origins,
            or credentials), which :class:`FastHits` does not answer.
    """
    cors = CORSMiddleware(_nothing, **options)
    if not cors.allow_all_origins or cors.allow_credentials:
        raise ValueError("FastHits needs CORS for all origins without credentials")
    return [(k.lower().encode("latin-1"), v.encode("latin-1"))
            for k, v in cors.simple_headers.items()]  # fmt: skip


async def _nothing(scope: Scope, receive: Receive, send: Send) -> None:
    """The app of the CORSMiddleware built only to read its headers."""
