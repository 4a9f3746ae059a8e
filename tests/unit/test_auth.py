"""Credentials of /graphql: header parsing, JWTs, API keys (cached briefly), the 401."""

from __future__ import annotations

import asyncio
import time

import httpx
import jwt
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, request_response

from api.auth import (
    CALLER,
    Authenticator,
    Caller,
    RequireCaller,
    Unauthenticated,
    credential,
    jwt_caller,
    looks_like_jwt,
)
from graph.repository import StoredKey, hash_secret

pytestmark = pytest.mark.unit

SECRET = "a-test-secret-of-at-least-32-bytes!!"


@pytest.mark.parametrize(
    ("headers", "token"),
    [
        ({}, None),
        ({"authorization": "Bearer gcdp_abc"}, "gcdp_abc"),
        ({"authorization": "bearer   gcdp_abc  "}, "gcdp_abc"),
        ({"authorization": "Basic Z2NkcDo="}, None),
        ({"authorization": "Bearer "}, None),
        ({"x-api-key": "gcdp_xyz"}, "gcdp_xyz"),
        ({"x-api-key": "gcdp_xyz", "authorization": "Bearer other"}, "gcdp_xyz"),
    ],
)
def test_credential_comes_from_bearer_or_x_api_key(
    headers: dict[str, str], token: str | None
) -> None:
    assert credential(headers) == token


def _token(**claims: object) -> str:
    return jwt.encode({"sub": "alice", "role": "viewer", **claims}, SECRET, algorithm="HS256")


def test_a_jwt_with_sub_and_a_known_role_is_a_caller() -> None:
    token = _token(exp=int(time.time()) + 60)
    assert looks_like_jwt(token)
    assert not looks_like_jwt("gcdp_abc.def")
    assert jwt_caller(token, SECRET) == Caller("jwt:alice", "viewer")


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        (_token(exp=int(time.time()) - 3600), "the JWT has expired"),
        (_token(role="root"), "not a known role"),
        (jwt.encode({"sub": "alice"}, SECRET, algorithm="HS256"), "not a known role"),
        (jwt.encode({"role": "admin"}, SECRET, algorithm="HS256"), "invalid JWT"),
        (
            jwt.encode({"sub": "a", "role": "admin"}, SECRET + "x", algorithm="HS256"),
            "invalid JWT: Signature verification failed",
        ),
        (jwt.encode({"sub": "a", "role": "admin"}, SECRET * 2, algorithm="HS512"), "invalid JWT"),
    ],
)
def test_bad_jwts_are_refused_with_a_reason(token: str, reason: str) -> None:
    with pytest.raises(Unauthenticated, match=reason):
        jwt_caller(token, SECRET)


class Keys:
    """The API key store, counting its lookups."""

    def __init__(self, *keys: tuple[str, StoredKey]) -> None:
        self.keys = {hash_secret(secret): key for secret, key in keys}
        self.lookups = 0

    async def find(self, key_hash: str) -> StoredKey | None:
        self.lookups += 1
        return self.keys.get(key_hash)


class Clock:
    now = 0.0

    def __call__(self) -> float:
        return self.now


def _live_revoked_and_odd() -> Keys:
    """A good marketer key, a revoked admin key and a key of an unknown role."""
    return Keys(("s-live", StoredKey("crm", "marketer", False)),
                ("s-gone", StoredKey("old", "admin", True)),
                ("s-odd", StoredKey("odd", "superuser", False)))  # fmt: skip


async def test_api_keys_resolve_to_their_name_and_role_and_are_cached_for_the_ttl() -> None:
    keys = _live_revoked_and_odd()
    clock = Clock()
    auth = Authenticator(keys, None, ttl=10, timer=clock)
    assert await auth.caller({"x-api-key": "s-live"}) == Caller("key:crm", "marketer")
    assert await auth.caller({"authorization": "Bearer s-live"}) == Caller("key:crm", "marketer")
    assert keys.lookups == 1
    for headers, reason in [
        ({}, "missing credentials"),
        ({"x-api-key": "s-gone"}, "revoked API key"),
        ({"x-api-key": "s-unknown"}, "unknown API key"),
        ({"x-api-key": "s-odd"}, "not a known role"),
        ({"authorization": f"Bearer {_token()}"}, "JWTs are not accepted"),
    ]:
        with pytest.raises(Unauthenticated, match=reason):
            await auth.caller(headers)
    lookups = keys.lookups
    with pytest.raises(Unauthenticated, match="unknown API key"):  # unknown is cached too
        await auth.caller({"x-api-key": "s-unknown"})
    assert keys.lookups == lookups
    keys.keys[hash_secret("s-live")] = StoredKey("crm", "marketer", True)  # revoked meanwhile
    assert await auth.caller({"x-api-key": "s-live"}) == Caller("key:crm", "marketer")
    clock.now = 11  # after the TTL the revocation applies
    with pytest.raises(Unauthenticated, match="revoked API key"):
        await auth.caller({"x-api-key": "s-live"})


async def test_jwts_are_accepted_with_a_secret() -> None:
    auth = Authenticator(Keys(), SECRET)
    assert await auth.caller({"authorization": f"Bearer {_token()}"}) == Caller(
        "jwt:alice", "viewer"
    )


def _app() -> Starlette:
    async def endpoint(request: Request) -> JSONResponse:
        caller = request.scope.get(CALLER)
        return JSONResponse({"caller": caller.actor if caller else None})

    guarded = RequireCaller(request_response(endpoint), ide=True)
    app = Starlette(routes=[Route("/graphql", guarded, methods=["GET", "POST"])])
    keys = Keys(("s-live", StoredKey("crm", "admin", False)))
    app.state.authenticator = Authenticator(keys, None)
    return app


async def test_graphql_without_a_usable_key_is_401_with_the_reason() -> None:
    transport = httpx.ASGITransport(app=_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        missing = await client.post("/graphql", json={"query": "{ __typename }"})
        assert missing.status_code == 401
        assert missing.headers["www-authenticate"] == 'Bearer realm="graphcdp"'
        assert missing.json()["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}
        assert "missing credentials" in missing.json()["errors"][0]["message"]
        unknown = await client.post("/graphql", headers={"x-api-key": "nope"}, json={})
        assert (unknown.status_code, unknown.json()["errors"][0]["message"]) == (
            401, "unknown API key",
        )  # fmt: skip
        ok = await client.post("/graphql", headers={"authorization": "Bearer s-live"}, json={})
        assert (ok.status_code, ok.json()) == (200, {"caller": "key:crm"})
        # A browser opening GraphiQL gets the page (no data); a GET query needs a key.
        page = await client.get("/graphql", headers={"accept": "text/html"})
        assert (page.status_code, page.json()) == (200, {"caller": None})
        query = await client.get("/graphql?query={__typename}", headers={"accept": "text/html"})
        assert query.status_code == 401


async def test_a_websocket_without_a_usable_key_is_closed_with_4401() -> None:
    app = _app()
    reached: list[object] = []

    async def inner(scope: object, receive: object, send: object) -> None:
        reached.append(scope)

    guarded = RequireCaller(inner, ide=True)  # type: ignore[arg-type]
    sent: list[dict[str, object]] = []

    async def receive() -> dict[str, object]:
        return {"type": "websocket.connect"}

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    def scope(headers: list[tuple[bytes, bytes]]) -> dict[str, object]:
        return {"type": "websocket", "path": "/graphql", "headers": headers, "app": app}

    await guarded(scope([]), receive, send)  # type: ignore[arg-type]
    assert [(m["type"], m["code"]) for m in sent] == [("websocket.close", 4401)]
    assert "missing credentials" in str(sent[0]["reason"])
    assert reached == []
    await guarded(scope([(b"x-api-key", b"s-live")]), receive, send)  # type: ignore[arg-type]
    assert len(reached) == 1
    assert reached[0][CALLER] == Caller("key:crm", "admin")  # type: ignore[index]


class SlowKeys(Keys):
    """A key store whose lookups wait until released (or fail once when told)."""

    def __init__(self, *keys: tuple[str, StoredKey]) -> None:
        super().__init__(*keys)
        self.release = asyncio.Event()
        self.fail = False

    async def find(self, key_hash: str) -> StoredKey | None:
        self.lookups += 1
        await self.release.wait()
        if self.fail:
            raise ConnectionError("Neo4j went away")
        return self.keys.get(key_hash)


async def test_requests_during_a_lookup_wait_for_it_instead_of_looking_up_again() -> None:
    keys = SlowKeys(("s-live", StoredKey("crm", "marketer", False)))
    clock = Clock()
    auth = Authenticator(keys, None, ttl=10, timer=clock)
    for expired_at in (0.0, 11.0):  # the first lookup, and the one after the TTL
        clock.now = expired_at
        keys.release.clear()
        lookups = keys.lookups
        waiting = [asyncio.create_task(auth.caller({"x-api-key": "s-live"})) for _ in range(50)]
        await asyncio.sleep(0.01)
        assert keys.lookups == lookups + 1
        keys.release.set()
        assert set(await asyncio.gather(*waiting)) == {Caller("key:crm", "marketer")}
        assert keys.lookups == lookups + 1
        assert await auth.caller({"x-api-key": "s-live"}) == Caller("key:crm", "marketer")
        assert keys.lookups == lookups + 1  # and the answer is cached


async def test_a_failed_lookup_fails_its_waiters_and_is_not_cached() -> None:
    keys = SlowKeys(("s-live", StoredKey("crm", "marketer", False)))
    auth = Authenticator(keys, None, ttl=10, timer=Clock())
    keys.fail = True
    waiting = [asyncio.create_task(auth.caller({"x-api-key": "s-live"})) for _ in range(3)]
    await asyncio.sleep(0.01)
    keys.release.set()
    results = await asyncio.gather(*waiting, return_exceptions=True)
    assert all(isinstance(r, ConnectionError) for r in results)
    keys.fail = False
    assert await auth.caller({"x-api-key": "s-live"}) == Caller("key:crm", "marketer")
    assert keys.lookups == 2


async def test_a_caller_that_goes_away_does_not_cancel_the_shared_lookup() -> None:
    keys = SlowKeys(("s-live", StoredKey("crm", "marketer", False)))
    auth = Authenticator(keys, None, ttl=10, timer=Clock())
    first = asyncio.create_task(auth.caller({"x-api-key": "s-live"}))
    second = asyncio.create_task(auth.caller({"x-api-key": "s-live"}))
    await asyncio.sleep(0.01)
    first.cancel()
    keys.release.set()
    assert await second == Caller("key:crm", "marketer")
    assert first.cancelled()
    assert keys.lookups == 1


async def test_a_known_caller_is_one_already_looked_up_and_good() -> None:
    keys = _live_revoked_and_odd()
    clock = Clock()
    auth = Authenticator(keys, SECRET, ttl=10, timer=clock)
    assert auth.known_caller("s-live") is None  # not looked up yet: no I/O here
    await auth.caller({"x-api-key": "s-live"})
    for secret in ("s-gone", "s-odd", "s-unknown"):
        with pytest.raises(Unauthenticated):
            await auth.caller({"x-api-key": secret})
    assert auth.known_caller("s-live") == Caller("key:crm", "marketer")
    assert [auth.known_caller(s) for s in ("s-gone", "s-odd", "s-unknown")] == [None] * 3
    assert auth.known_caller(_token()) is None  # JWTs are always checked by caller()
    assert keys.lookups == 4
    clock.now = 11  # expired: look it up again first
    assert auth.known_caller("s-live") is None
