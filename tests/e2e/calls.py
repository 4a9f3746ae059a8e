"""Calling the running service from e2e tests (a helper module, not a test): tracking calls
with the source's write key, GraphQL with the bootstrap admin key."""

from __future__ import annotations

from typing import Any

import httpx

from graphcdp.settings import Settings
from tests.e2e.conftest import ADMIN


def send(base: str, settings: Settings, kind: str, call: dict[str, Any]) -> None:
    """One tracking call (``/v1/<kind>``), accepted."""
    key = next(iter(settings.parsed_write_keys()))
    reply = httpx.post(f"{base}/v1/{kind}", auth=(key, ""), json=call, timeout=10)
    assert reply.status_code == 200, reply.text


def graphql(base: str, query: str, **variables: Any) -> dict[str, Any]:
    """The data of a GraphQL request as admin; it must answer without errors."""
    reply = httpx.post(f"{base}/graphql", json={"query": query, "variables": variables},
                       headers=ADMIN, timeout=30)  # fmt: skip
    assert reply.status_code == 200, reply.text
    body: dict[str, Any] = reply.json()
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data
