"""The response cache through the running service (api/response_cache.py).

A repeated profile-only query is answered whole from the API process's memory: per role (a
viewer never gets the admin's unmasked answer), audited on every hit like the first answer, and
never for a customer that was not found (it may appear at any moment). Queries that read more
than the profile are executed every time. Freshness after a change is tested with two API
processes in ``test_profile_cache.py``.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import jwt
import pytest

from graphcdp.settings import Settings
from tests.e2e.conftest import ADMIN, ADMIN_ACTOR, DEMO_KEY, JWT_SECRET
from tests.e2e.graph_check import query
from tests.e2e.test_security import _audit, _key

PROFILE = """query Cached{tag}($value: String!) {{
  customer(identifier: {{type: USER_ID, value: $value}}) {{ id email firstName recordCount }} }}"""
EVENTS = """query ($value: String!) { customer(identifier: {type: USER_ID, value: $value}) {
  id events(first: 5) { edges { node { name } } } } }"""


def _reads(base: str) -> dict[str, int]:
    text = httpx.get(f"{base}/metrics", timeout=5).text
    found = dict(re.findall(r'graphcdp_response_cache_reads_total\{outcome="(\w+)"\} (\d+)', text))
    assert set(found) == {"hit", "miss"}, text
    return {k: int(v) for k, v in found.items()}


def _read(base: str, body: dict[str, Any], headers: dict[str, str]) -> httpx.Response:
    reply = httpx.post(f"{base}/graphql", json=body, headers=headers, timeout=10)
    assert reply.status_code == 200, reply.text
    assert "errors" not in reply.json(), reply.text
    return reply


def _identify(base: str, user: str, traits: dict[str, str]) -> None:
    call = {"userId": user, "traits": traits}
    sent = httpx.post(f"{base}/v1/identify", auth=(DEMO_KEY, ""), json=call, timeout=10)
    assert sent.status_code == 200, sent.text


def _until_found(base: str, body: dict[str, Any]) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        customer = _read(base, body, ADMIN).json()["data"]["customer"]
        if customer is not None:
            return dict(customer)
        time.sleep(0.2)
    raise AssertionError("the customer never appeared")


@pytest.fixture(scope="module")
def viewer(service: str, settings: Settings) -> Iterator[dict[str, str]]:
    name = f"e2e-cache-viewer-{uuid.uuid4().hex[:10]}"
    yield {"X-API-Key": _key(name, "viewer")}
    query(settings, "MATCH (k:ApiKey {name: $name}) DELETE k", name=name)


def test_a_repeated_profile_read_is_a_hit_per_role_and_audited_each_time(
    service: str, viewer: dict[str, str]
) -> None:
    tag = uuid.uuid4().hex[:10]
    user, email = f"rc-{tag}", f"rc.{tag}@example.com"
    _identify(service, user, {"email": email, "firstName": "Rosalind"})
    body = {"query": PROFILE.format(tag=tag), "variables": {"value": user}}
    first = _until_found(service, body)
    assert (first["email"], first["firstName"]) == (email, "Rosalind")
    # Read until three reads in a row are hits: the worker announces the new customer on
    # cdp.changes (and repeats it 0.5 s later), and its segment enters and traits may follow,
    # each dropping the answer kept so far.
    deadline, reads = time.monotonic() + 30, 1
    while True:
        before = _reads(service)
        answers = [_read(service, body, ADMIN) for _ in range(3)]
        reads += 3
        if _reads(service)["hit"] == before["hit"] + 3:
            break
        assert time.monotonic() < deadline, "the answer is never served from the cache"
        time.sleep(0.5)
    assert {a.content for a in answers} == {answers[0].content}
    assert {a.headers["content-type"] for a in answers} == {"application/json"}
    assert answers[0].json()["data"]["customer"] == first

    # The same body from a viewer: its own, masked answer, kept apart from the admin's.
    masked = [_read(service, body, viewer).json()["data"]["customer"] for _ in range(3)]
    assert masked[0] == {"id": first["id"], "email": "r***@e***.com", "firstName": "R*******",
                         "recordCount": 1}  # fmt: skip
    assert masked[1:] == masked[:2]
    assert _read(service, body, ADMIN).json()["data"]["customer"]["email"] == email
    reads += 1

    # Every admin read, hit or not, is its own audit entry with the same fields and customer.
    deadline = time.monotonic() + 15
    while True:
        entries = [e for e in _audit(service, ADMIN_ACTOR) if e["operation"] == f"Cached{tag}"]
        if len(entries) >= reads or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    assert len(entries) == reads
    assert {(e["kind"], e["role"], tuple(e["customerIds"])) for e in entries} == {
        ("pii_read", "admin", (first["id"],))
    }
    assert {tuple(e["fields"]) for e in entries} == {
        ("Query.customer", "Customer.email", "Customer.firstName")
    }


def test_missing_customers_and_wider_queries_are_executed_every_time(service: str) -> None:
    tag = uuid.uuid4().hex[:10]
    user = f"rc-later-{tag}"
    body = {"query": PROFILE.format(tag=tag), "variables": {"value": user}}
    before = _reads(service)
    for _ in range(3):
        assert _read(service, body, ADMIN).json()["data"]["customer"] is None
    after = _reads(service)
    assert (after["hit"], after["miss"]) == (before["hit"], before["miss"] + 3)
    # It appears: the next reads show it (no null was kept).
    _identify(service, user, {"firstName": "Later"})
    assert _until_found(service, body)["firstName"] == "Later"

    wider = {"query": EVENTS, "variables": {"value": user}}
    before = _reads(service)
    for _ in range(3):
        assert _read(service, wider, ADMIN).json()["data"]["customer"]["id"]
    assert _reads(service) == before  # not a candidate: neither a hit nor a miss


def test_a_hit_on_the_fast_path_is_the_answer_the_whole_stack_gives(service: str) -> None:
    """An API key the process knows is answered by ``FastHits`` before Starlette's layers; a
    JWT of the same role takes the whole stack (request ids, CORS, router, auth) to the same
    kept answer. Both must send the same status, body and headers."""
    tag = uuid.uuid4().hex[:10]
    user = f"rc-fast-{tag}"
    _identify(service, user, {"email": f"rc.fast.{tag}@example.com", "firstName": "Ada"})
    body = {"query": PROFILE.format(tag=tag), "variables": {"value": user}}
    _until_found(service, body)
    token = jwt.encode({"sub": "rc-fast", "role": "admin"}, JWT_SECRET, algorithm="HS256")
    callers = {"key": ADMIN, "jwt": {"Authorization": f"Bearer {token}"}}
    deadline = time.monotonic() + 30
    while True:  # until one read with each caller is a hit (see the first test)
        before = _reads(service)
        replies = {}
        for name, headers in callers.items():
            for origin in (False, True):
                sent = {**headers, "X-Request-ID": f"trace-{tag}"}
                if origin:
                    sent["Origin"] = "https://shop.example"
                replies[(name, origin)] = _read(service, body, sent)
        if _reads(service)["hit"] == before["hit"] + len(replies):
            break
        assert time.monotonic() < deadline, "the answer is never served from the cache"
        time.sleep(0.5)

    def shown(reply: httpx.Response) -> list[tuple[bytes, bytes]]:
        return [(k, v) for k, v in reply.headers.raw if k.lower() not in (b"date", b"server")]

    for origin in (False, True):
        fast, whole = replies[("key", origin)], replies[("jwt", origin)]
        assert (fast.status_code, fast.content) == (whole.status_code, whole.content)
        assert shown(fast) == shown(whole)
        assert fast.headers["x-request-id"] == f"trace-{tag}"
        assert ("access-control-allow-origin" in fast.headers) is origin
