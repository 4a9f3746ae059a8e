"""A server that is down: the API answers 503 (never 500), the worker waits it out."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from aiokafka.errors import (
    KafkaConnectionError,
    KafkaTimeoutError,
    MessageSizeTooLargeError,
    NodeNotReadyError,
)
from graphql import GraphQLError
from neo4j.exceptions import ServiceUnavailable, SessionExpired
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from api.unavailable import EXCEPTION_HANDLERS, unavailable, unavailable_in
from ingest.worker import _with_backoff
from resolvers.schema import unexpected

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("error", "server"),
    [
        (ServiceUnavailable("Couldn't connect to 127.0.0.1:7687"), "neo4j"),
        (SessionExpired("gone"), "neo4j"),
        (KafkaConnectionError("refused"), "kafka"),
        (NodeNotReadyError("node 1"), "kafka"),
        (KafkaTimeoutError("no acknowledgement"), "kafka"),
        (MessageSizeTooLargeError("too large"), None),  # Kafka refuses it: not a 503
        (ValueError("a bug"), None),
    ],
)
def test_which_errors_mean_a_server_is_unreachable(error: Exception, server: str | None) -> None:
    assert unavailable(error) == server


async def _post(path: str, error: Exception) -> httpx.Response:
    """POST to an app whose route raises ``error``, with the API's exception handlers."""

    async def fails(request: Request) -> Response:
        raise error

    app = Starlette(routes=[Route(path, fails, methods=["POST"])],
                    exception_handlers=EXCEPTION_HANDLERS)  # fmt: skip
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
        return await client.post(path)


async def test_graphql_without_neo4j_is_a_503_without_the_driver_message() -> None:
    reply = await _post("/graphql", ServiceUnavailable("Couldn't connect to 10.0.0.7:7687"))
    assert reply.status_code == 503
    assert reply.headers["retry-after"] == "5"
    assert reply.json() == {"errors": [{"message": "neo4j is unavailable; try again shortly",
                                        "extensions": {"code": "UNAVAILABLE"}}]}  # fmt: skip


async def test_a_tracking_call_kafka_did_not_acknowledge_is_a_503() -> None:
    reply = await _post("/v1/track", KafkaTimeoutError("Kafka did not acknowledge within 10 s"))
    assert reply.status_code == 503
    assert reply.json() == {"success": False, "error": "kafka is unavailable; try again shortly"}


async def test_a_kafka_error_that_is_not_about_reachability_stays_a_500() -> None:
    assert (await _post("/v1/track", MessageSizeTooLargeError("too large"))).status_code == 500


def test_unavailable_graphql_errors_are_found_and_not_masked_in_production() -> None:
    down = GraphQLError("x", original_error=ServiceUnavailable("down"))
    bug = GraphQLError("y", original_error=KeyError("k"))
    assert unavailable_in([bug, down]) is down.original_error
    assert unavailable_in([bug]) is None
    assert unavailable_in(None) is None
    assert not unexpected(down)  # the API answers 503 before the message could leave
    assert unexpected(bug)


async def test_the_worker_waits_out_an_unreachable_server_and_gives_up_on_a_refusal() -> None:
    calls: list[int] = []

    async def flaky() -> str:
        calls.append(1)
        if len(calls) == 1:
            raise ServiceUnavailable("restarting")
        if len(calls) == 2:
            raise KafkaConnectionError("restarting")
        return "done"

    assert await _with_backoff(flaky, asyncio.Event()) == "done"
    assert len(calls) == 3

    async def refused() -> None:
        raise MessageSizeTooLargeError("too large")

    with pytest.raises(MessageSizeTooLargeError):
        await _with_backoff(refused, asyncio.Event())
