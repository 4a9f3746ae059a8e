"""503 for a request that needs a server that is down: never a 500, never a 200 for a call
that did not reach Kafka.

A tracking call whose event Kafka could not acknowledge, and a GraphQL request that needed
Neo4j while it was unreachable, are answered ``503 Service Unavailable`` with ``Retry-After``
(a GraphQL-shaped body on /graphql, the tracking API's on /v1/*); the driver's or client's
message stays in the log, since it names hosts and ports. The API recovers by itself: the
drivers reconnect on the next request once the server is back.
"""

from __future__ import annotations

import logging

from aiokafka.errors import KafkaError, KafkaTimeoutError
from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from graph.driver import UNAVAILABLE

log = logging.getLogger(__name__)
RETRY_AFTER = "5"  # seconds: about what a Kafka or Neo4j restart takes here


def unavailable(err: BaseException) -> str | None:
    """The server an error says is unreachable (``neo4j`` or ``kafka``), or None."""
    if isinstance(err, UNAVAILABLE):
        return "neo4j"
    if isinstance(err, KafkaError) and (err.retriable or isinstance(err, KafkaTimeoutError)):
        return "kafka"
    return None


def unavailable_in(errors: list[GraphQLError] | None) -> BaseException | None:
    """The first error of a GraphQL result caused by an unreachable server, or None."""
    for error in errors or ():
        if error.original_error is not None and unavailable(error.original_error):
            return error.original_error
    return None


async def service_unavailable(request: Request, err: Exception) -> Response:
    """The exception handler of the app for driver and Kafka errors (a Kafka error that is
    not about reachability is raised on: a 500, as any bug)."""
    server = unavailable(err)
    if server is None:
        raise err
    log.warning("%s unavailable for %s %s: %s: %s", server, request.method, request.url.path,
                type(err).__name__, err)  # fmt: skip
    message = f"{server} is unavailable; try again shortly"
    headers = {"Retry-After": RETRY_AFTER}
    if request.url.path.startswith("/graphql"):
        body: dict[str, object] = {
            "errors": [{"message": message, "extensions": {"code": "UNAVAILABLE"}}]
        }
    else:
        body = {"success": False, "error": message}
    return JSONResponse(body, status_code=503, headers=headers)


EXCEPTION_HANDLERS = {cls: service_unavailable for cls in (*UNAVAILABLE, KafkaError)}
