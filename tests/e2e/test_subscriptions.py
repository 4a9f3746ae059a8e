"""``customerChanged`` over graphql-transport-ws, through the running service: a subscriber
hears an event and a merge shortly after the worker applied them."""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Subprotocol

from graphcdp.settings import Settings
from tests.e2e.calls import send
from tests.e2e.conftest import ADMIN

CHANGED = """subscription ($id: ID!) {
  customerChanged(id: $id) { id requestedId recordCount identifiers { type value } } }"""
BY_ID = """query ($t: IdentifierType!, $v: String!) {
  customer(identifier: {type: $t, value: $v}) { id } }"""


def _customer_of(base: str, user: str, type_: str = "USER_ID") -> str:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        body = httpx.post(
            f"{base}/graphql", json={"query": BY_ID, "variables": {"t": type_, "v": user}},
            headers=ADMIN,
        )  # fmt: skip
        customer = body.json()["data"]["customer"]
        if customer:
            return str(customer["id"])
        time.sleep(0.2)
    raise AssertionError(f"no customer for {user}")


@contextlib.contextmanager
def _subscribe(base: str, customer_id: str) -> Iterator[ClientConnection]:
    url = base.replace("http", "ws") + "/graphql"
    with connect(url, subprotocols=[Subprotocol("graphql-transport-ws")],
                 additional_headers=ADMIN) as ws:  # fmt: skip
        ws.send(json.dumps({"type": "connection_init"}))
        assert json.loads(ws.recv(timeout=5))["type"] == "connection_ack"
        variables = {"id": customer_id}
        payload = {"query": CHANGED, "variables": variables}
        ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
        yield ws


def _until(ws: ClientConnection, wanted: Any, timeout: float = 15) -> dict[str, Any]:
    """The first profile the subscription sends that ``wanted`` accepts (earlier changes,
    and the cache's repeated invalidation half a second after each, may come first)."""
    deadline = time.monotonic() + timeout
    while True:
        message = json.loads(ws.recv(timeout=max(0.1, deadline - time.monotonic())))
        assert message["type"] == "next", message
        assert "errors" not in message["payload"], message
        data: dict[str, Any] = message["payload"]["data"]["customerChanged"]
        if wanted(data):
            return data


def test_a_subscriber_hears_an_event_and_follows_a_merge(service: str, settings: Settings) -> None:
    tag = uuid.uuid4().hex[:10]
    first = {"userId": f"old-{tag}", "traits": {"email": f"old.{tag}@example.com"}}
    send(service, settings, "identify", first)
    old = _customer_of(service, f"old-{tag}")
    second = {"anonymousId": f"anon-{tag}", "traits": {"firstName": "Ola"}}
    send(service, settings, "identify", second)
    new = _customer_of(service, f"anon-{tag}", "ANONYMOUS_ID")
    with _subscribe(service, old) as on_old, _subscribe(service, new) as on_new:
        time.sleep(0.5)  # the subscriptions are registered
        send(service, settings, "identify", {"userId": f"old-{tag}", "traits": {"city": "Oslo"}})
        seen = _until(on_old, lambda c: c["recordCount"] == 2)
        assert seen["id"] == old
        # The anonymous visitor was the first customer all along: one person, merged.
        send(service, settings, "alias", {"userId": f"old-{tag}", "previousId": f"anon-{tag}"})
        merged = _until(on_new, lambda c: c["id"] != new or c["recordCount"] > 1)
        assert merged["requestedId"] == new
        values = {i["value"] for i in merged["identifiers"]}
        assert {f"old-{tag}", f"anon-{tag}"} <= values
    with _subscribe(service, f"cus_nobody_{tag}") as bad:
        message = json.loads(bad.recv(timeout=5))
    assert message["type"] == "next"  # an execution error, as the protocol carries them
    [error] = message["payload"]["errors"]
    assert error["message"] == f"no customer cus_nobody_{tag}"
    assert error["extensions"] == {"code": "NOT_FOUND"}
