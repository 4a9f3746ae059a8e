"""Who calls /graphql: the credential of an HTTP request, resolved once into a caller.

A request sends an API key as ``Authorization: Bearer <key>`` or ``X-API-Key: <key>``, or a JWT
as ``Authorization: Bearer <jwt>`` (HS256 signed with ``GRAPHCDP_JWT_SECRET``, claims ``sub``
and ``role``; refused when no secret is set). Keys are looked up by the SHA-256 of the secret,
and the answer (found, unknown or revoked) is kept in this process for ``ttl`` seconds, so a
revocation applies within that time. When the answer expires, the requests that arrive while
it is looked up again wait for that one lookup: at 1,800 requests a second every request of
the lookup's few milliseconds went to Neo4j itself, and the burst stalled the API for
160-280 ms every ``ttl`` seconds (bench/README.md, session 11). Without a credential, or with
a bad one, /graphql answers HTTP 401 with the reason; the GraphiQL page itself (a browser's
GET) needs none.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

import jwt
from cachetools import TTLCache
from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocketClose

from graph.repository import StoredKey, hash_secret
from resolvers.roles import is_role

CALLER = "graphcdp.caller"  # the scope key the resolved caller travels under


class Unauthenticated(Exception):
    """No usable credential; the message is the reason the 401 gives."""


@dataclass(frozen=True)
class Caller:
    actor: str  # key:<API key name> or jwt:<sub>
    role: str


class KeyLookup(Protocol):
    async def find(self, key_hash: str) -> StoredKey | None: ...


def credential(headers: Mapping[str, str]) -> str | None:
    """The token of ``X-API-Key``, else of ``Authorization: Bearer``; None without one."""
    key = headers.get("x-api-key", "").strip()
    if key:
        return key
    scheme, _, token = headers.get("authorization", "").strip().partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


def looks_like_jwt(token: str) -> bool:
    """Three base64url parts, the first a JSON header (``eyJ``): a JWT, not an API key."""
    return token.startswith("eyJ") and token.count(".") == 2


def jwt_caller(token: str, secret: str, leeway: float = 30.0) -> Caller:
    """The caller of an HS256 JWT with ``sub`` and a known ``role``; ``exp`` and ``nbf``
    are checked when present.

    Raises:
        Unauthenticated: a bad signature, an expired token, a missing or unknown claim.
    """
    try:
        claims = jwt.decode(token, secret, algorithms=["HS256"], leeway=leeway,
                            options={"require": ["sub"]})  # fmt: skip
    except jwt.ExpiredSignatureError:
        raise Unauthenticated("the JWT has expired") from None
    except jwt.InvalidTokenError as err:
        raise Unauthenticated(f"invalid JWT: {err}") from None
    role = claims.get("role")
    if not isinstance(role, str) or not is_role(role):
        raise Unauthenticated("the JWT's role claim is missing or not a known role")
    return Caller(f"jwt:{claims['sub']}", role)


class Authenticator:
    """Resolves a request's credential into a :class:`Caller` (API keys cached briefly)."""

    def __init__(
        self,
        keys: KeyLookup,
        jwt_secret: str | None,
        ttl: float = 10.0,
        size: int = 10_000,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        self._keys = keys
        self._jwt_secret = jwt_secret
        self._cache: TTLCache[str, StoredKey | None] = TTLCache(size, ttl, timer=timer)
        self._looking: dict[str, asyncio.Task[StoredKey | None]] = {}  # key hash -> lookup

    async def caller(self, headers: Mapping[str, str]) -> Caller:
        """The caller of a request with these headers.

        Raises:
            Unauthenticated: no credential, or one that is unknown, revoked or invalid.
        """
        token = credential(headers)
        if token is None:
            raise Unauthenticated(
                "missing credentials: send an API key as 'Authorization: Bearer <key>' or "
                "'X-API-Key: <key>', or a JWT as 'Authorization: Bearer <jwt>'"
            )
        if looks_like_jwt(token):
            if self._jwt_secret is None:
                raise Unauthenticated("JWTs are not accepted here (no GRAPHCDP_JWT_SECRET)")
            return jwt_caller(token, self._jwt_secret)
        key_hash = hash_secret(token)
        try:
            stored = self._cache[key_hash]
        except KeyError:
            stored = await self._find(key_hash)
        if stored is None:
            raise Unauthenticated("unknown API key")
        if stored.revoked:
            raise Unauthenticated("revoked API key")
        if not is_role(stored.role):
            raise Unauthenticated(f"the API key's role {stored.role!r} is not a known role")
        return Caller(f"key:{stored.name}", stored.role)

    def known_caller(self, token: str) -> Caller | None:
        """The caller of API key ``token`` when this process already holds a good answer for
        it (found, not revoked, a known role), without I/O; None otherwise (a JWT, a key not
        looked up yet or expired, an unknown or revoked key: :meth:`caller` decides those)."""
        if looks_like_jwt(token):
            return None
        stored = self._cache.get(hash_secret(token))
        if stored is None or stored.revoked or not is_role(stored.role):
            return None
        return Caller(f"key:{stored.name}", stored.role)

    async def _find(self, key_hash: str) -> StoredKey | None:
        """One lookup per key at a time, shared by every request waiting for it; its answer
        is cached when it arrives (a failed lookup is not: the next request tries again)."""
        task = self._looking.get(key_hash)
        if task is None:
            task = asyncio.create_task(self._keys.find(key_hash))
            self._looking[key_hash] = task

            def done(finished: asyncio.Task[StoredKey | None]) -> None:
                self._looking.pop(key_hash, None)
                if not finished.cancelled() and finished.exception() is None:
                    self._cache[key_hash] = finished.result()

            task.add_done_callback(done)
        # shielded: a caller that goes away does not cancel the lookup the others wait for
        return await asyncio.shield(task)


def _wants_ide(scope: Scope, headers: Headers) -> bool:
    """A browser opening GraphiQL (GET, HTML, no query): the page carries no data."""
    query = scope.get("query_string", b"")
    return (
        scope["type"] == "http"
        and scope.get("method") == "GET"
        and "text/html" in headers.get("accept", "")
        and b"query=" not in query
    )


class RequireCaller:
    """ASGI middleware of the /graphql route: resolves the caller (``scope[CALLER]``) with the
    app's ``state.authenticator``, or answers 401 (a WebSocket is closed with 4401 before it
    is accepted, which the server answers as HTTP 403)."""

    def __init__(self, app: ASGIApp, ide: bool) -> None:
        self.app = app
        self.ide = ide

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if self.ide and _wants_ide(scope, headers):
            await self.app(scope, receive, send)
            return
        authenticator: Authenticator = scope["app"].state.authenticator
        try:
            scope[CALLER] = await authenticator.caller(headers)
        except Unauthenticated as err:
            if scope["type"] == "websocket":
                await WebSocketClose(code=4401, reason=str(err))(scope, receive, send)
                return
            body = {"errors": [{"message": str(err), "extensions": {"code": "UNAUTHENTICATED"}}]}
            response = JSONResponse(
                body, status_code=401, headers={"WWW-Authenticate": 'Bearer realm="graphcdp"'}
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
