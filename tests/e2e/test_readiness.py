"""/readyz against the real servers: all four answer; with Redis unreachable the API says so
(503 naming Redis) and still serves profiles, from Neo4j."""

from __future__ import annotations

import httpx

from tests.e2e.conftest import ADMIN

QUERY = '{ customer(identifier: {type: EMAIL, value: "nobody@example.com"}) { id } }'


def test_the_service_is_ready_when_every_server_answers(service: str) -> None:
    reply = httpx.get(f"{service}/readyz", timeout=10)
    assert reply.status_code == 200, reply.text
    assert reply.json() == {
        "status": "ready",
        "checks": {"neo4j": "ok", "kafka": "ok", "redis": "ok", "opensearch": "ok"},
    }


def test_without_redis_the_api_is_unavailable_but_still_answers(api_without_redis: str) -> None:
    reply = httpx.get(f"{api_without_redis}/readyz", timeout=10)
    assert reply.status_code == 503, reply.text
    checks = reply.json()["checks"]
    assert checks["redis"] != "ok"
    assert "Connect" in checks["redis"]
    assert {k: v for k, v in checks.items() if k != "redis"} == {
        "neo4j": "ok", "kafka": "ok", "opensearch": "ok",
    }  # fmt: skip
    answer = httpx.post(
        f"{api_without_redis}/graphql", json={"query": QUERY}, headers=ADMIN, timeout=10
    )
    assert answer.status_code == 200
    assert answer.json() == {"data": {"customer": None}}
