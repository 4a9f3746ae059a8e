"""The fast path of response-cache hits (api/fast_hits.py), over a fake app behind it."""

from __future__ import annotations

import gzip
import json
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from starlette.types import Receive, Scope, Send

from api.app import CORS
from api.auth import Authenticator
from api.fast_hits import FastHits, cors_simple_headers
from api.response_cache import Entry, ResponseCache
from graph.repository import StoredKey, hash_secret

pytestmark = pytest.mark.unit

BODY = b'{"query":"{ customer(id: \\"c1\\") { id email } }"}'
ANSWER = b'{"data":{"customer":{"id":"c1","email":"a@b.c"}}}'
AUDIT = {"kind": "pii_read", "operation": None, "fields": ["Customer.email"],
         "customer_ids": ["c1"]}  # fmt: skip


class Keys:
    async def find(self, key_hash: str) -> StoredKey | None:
        return {hash_secret("s-admin"): StoredKey("ops", "admin", False)}.get(key_hash)


class Audit:
    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []

    def record(self, row: dict[str, Any]) -> None:
        self.rows.append(row)


class Behind:
    """The rest of the stack: answers 299 with the body it received, and counts calls."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        self.bodies.append(body)
        await send({"type": "http.response.start", "status": 299, "headers": []})
        await send({"type": "http.response.body", "body": body})


async def _setup() -> tuple[httpx.AsyncClient, Behind, Audit, ResponseCache]:
    cache = ResponseCache(size=10, ttl=60)
    cache.put(("admin", BODY), Entry(ANSWER, frozenset({"c1"}), "P", AUDIT), cache.begin())
    behind, audit = Behind(), Audit()
    auth = Authenticator(Keys(), None)
    await auth.caller({"x-api-key": "s-admin"})  # looked up once, as the full stack would
    app = FastHits(behind, cache, cors_simple_headers(CORS))

    async def outer(scope: Scope, receive: Receive, send: Send) -> None:
        scope["app"] = SimpleNamespace(state=SimpleNamespace(authenticator=auth, audit=audit))
        await app(scope, receive, send)

    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=outer), base_url="http://t")
    return client, behind, audit, cache


JSON = {"content-type": "application/json"}


async def test_a_hit_is_answered_with_the_full_stacks_headers_and_audited() -> None:
    client, behind, audit, cache = await _setup()
    async with client:
        plain = await client.post(
            "/graphql", content=BODY, headers={**JSON, "x-api-key": "s-admin"}
        )
        cors = await client.post("/graphql", content=BODY, headers={
            **JSON, "authorization": "Bearer s-admin", "origin": "https://shop.example",
            "x-request-id": "trace-1",
        })  # fmt: skip
    assert behind.bodies == []
    assert (plain.status_code, plain.content, cors.content) == (200, ANSWER, ANSWER)
    assert plain.headers.raw[:3] == [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(ANSWER)).encode()),
        (b"vary", b"Origin"),
    ]
    assert plain.headers.raw[3][0] == b"x-request-id"
    assert len(plain.headers["x-request-id"]) == 32
    assert cors.headers.raw == [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(ANSWER)).encode()),
        (b"access-control-allow-origin", b"*"),
        (b"access-control-expose-headers", b"x-request-id"),
        (b"vary", b"Origin"),
        (b"x-request-id", b"trace-1"),
    ]
    assert [(r["actor"], r["role"], r["customer_ids"]) for r in audit.rows] == [
        ("key:ops", "admin", ["c1"])
    ] * 2
    assert len({r["entry_id"] for r in audit.rows}) == 2
    assert cache.stats.hits == 2


@pytest.mark.parametrize(
    ("path", "headers", "body"),
    [
        ("/graphql", {**JSON, "x-api-key": "s-other"}, BODY),  # not looked up yet
        ("/graphql", {**JSON}, BODY),  # no credential: the full stack answers 401
        ("/graphql", {"x-api-key": "s-admin"}, BODY),  # not JSON
        ("/graphql", {**JSON, "x-api-key": "s-admin", "content-encoding": "gzip"},
         gzip.compress(BODY)),
        ("/graphql", {**JSON, "x-api-key": "s-admin"}, BODY + b" "),  # another body: a miss
        ("/graphql", {**JSON, "x-api-key": "s-admin"},
         json.dumps({"query": "x" * 9000}).encode()),  # too large to be a key
        ("/graphql/", {**JSON, "x-api-key": "s-admin"}, BODY),
        ("/v1/track", {**JSON, "x-api-key": "s-admin"}, BODY),
    ],
)  # fmt: skip
async def test_anything_but_a_known_hit_goes_on_with_its_body_intact(
    path: str, headers: dict[str, str], body: bytes
) -> None:
    client, behind, audit, cache = await _setup()
    async with client:
        reply = await client.post(path, content=body, headers=headers)
    assert (reply.status_code, reply.content) == (299, body)
    assert behind.bodies == [body]
    assert audit.rows == []
    assert cache.stats.hits == 0


async def test_a_disabled_cache_answers_nothing() -> None:
    behind = Behind()
    app = FastHits(behind, ResponseCache(size=0, ttl=60), cors_simple_headers(CORS))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        reply = await client.post("/graphql", content=BODY, headers={**JSON, "x-api-key": "k"})
    assert reply.status_code == 299


def test_cors_that_depends_on_the_origin_is_refused() -> None:
    with pytest.raises(ValueError, match="all origins"):
        cors_simple_headers({**CORS, "allow_origins": ["https://shop.example"]})
    with pytest.raises(ValueError, match="all origins"):
        cors_simple_headers({**CORS, "allow_credentials": True})
