"""GraphQL abuse against the running API: every request is refused with a clear error, a
4xx or a GraphQL error that names the limit or carries its code, and never a server error.

The in-process limits (tests/unit/test_graphql_limits.py, test_cost_and_production.py,
test_permissions.py) are checked here over HTTP, beside what only a real server meets:
bodies that are not GraphQL requests, batches, content types, GET mutations, parser depth.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import jwt
import pytest

from tests.e2e.conftest import ADMIN, JWT_SECRET

VIEWER = {"Authorization": "Bearer " + jwt.encode({"sub": "abuse-viewer", "role": "viewer"},
                                                  JWT_SECRET, algorithm="HS256")}  # fmt: skip
PROFILE = 'customer(id: "cus_abuse") { id }'


@dataclass(frozen=True)
class Abuse:
    name: str
    status: int
    says: str  # in the error's message (a GraphQL error) or the body (a plain 4xx)
    code: str | None = None  # the GraphQL error's extensions.code
    query: str | None = None
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=lambda: dict(ADMIN))
    method: str = "POST"


ABUSES = [
    Abuse("no credential", 401, "missing credentials", "UNAUTHENTICATED", "{ __typename }",
          headers={}),
    Abuse("unknown key", 401, "unknown API key", "UNAUTHENTICATED", "{ __typename }",
          headers={"X-API-Key": "gcdp_not-a-key"}),
    Abuse("forged JWT", 401, "invalid JWT", "UNAUTHENTICATED", "{ __typename }",
          headers={"Authorization": "Bearer " + jwt.encode(
              {"sub": "x", "role": "admin"}, "a-different-secret-of-32-bytes-at-least",
              algorithm="HS256")}),
    Abuse("viewer calls a mutation", 200, "", "FORBIDDEN",
          'mutation { deleteSegment(id: "seg_abuse") { __typename } }', headers=VIEWER),
    Abuse("viewer reads the audit log", 200, "", "FORBIDDEN",
          "{ auditLog(first: 1) { endCursor } }", headers=VIEWER),
    Abuse("depth 11", 200, "exceeds maximum operation depth of 10", None,
          "query Deep { customer(id: \"x\") { " + "a { " * 10 + "b" + " }" * 11 + " }"),
    Abuse("parser nesting 600 deep", 200, "nested too deeply", None,
          "{ " + 'customer(id: "x") { ' * 600 + "id" + " }" * 601),
    Abuse("31 aliases", 200, "31 aliases found. Allowed: 30", None,
          "{ " + " ".join(f"a{i}: {PROFILE}" for i in range(31)) + " }"),
    Abuse("alias flood of 5,000", 200, "more than 2000 tokens", None,
          "{ " + " ".join(f"a{i}: __typename" for i in range(5000)) + " }"),
    Abuse("first: 1000000", 200, "", "COST_LIMIT",
          '{ customer(id: "x") { history(first: 1000000) { kind at } } }'),
    Abuse("customers(first: 1000000)", 200, "", "COST_LIMIT",
          "{ customers(first: 1000000) { edges { node { id email } } } }"),
    Abuse("1 MB of query", 200, "more than 2000 tokens", None,  # just under the body limit
          "{ " + " ".join(["__typename"] * 90_000) + " }"),
    Abuse("fragment cycle", 200, "Cannot spread fragment", None,
          "{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }"),
    Abuse("directive flood", 200, "more than 2000 tokens", None,
          "{ __typename" + " @include(if: true)" * 1000 + " }"),
    Abuse("200 operations, an unknown one named", 400, 'Unknown operation named "Q999"',
          body=json.dumps({"query": " ".join(f"query Q{i} {{ __typename }}" for i in range(200)),
                           "operationName": "Q999"}).encode()),
    Abuse("unknown field", 200, "Cannot query field", None, "{ dropDatabase }"),
    Abuse("batched queries", 400, "Batching is not enabled",
          body=json.dumps([{"query": "{ __typename }"}] * 50).encode()),
    Abuse("malformed JSON", 400, "Unable to parse request body as JSON", body=b'{"query": '),
    Abuse("a JSON string", 400, "must be a JSON object", body=b'"{ __typename }"'),
    Abuse("variables nested 1,000 deep", 400, "nested deeper than 64 levels",
          body=b'{"query": "{ __typename }", "variables": {"v": ' + b"[" * 1000
          + b"]" * 1000 + b"}}"),
    Abuse("variables not an object", 400, "`variables` must be an object",
          body=b'{"query": "{ __typename }", "variables": [1, 2]}'),
    Abuse("query not a string", 400, "`query` must be a string",
          body=b'{"query": {"customer": 1}}'),
    Abuse("wrong content type", 400, "Unsupported content type", body=b"{ __typename }",
          headers={**ADMIN, "Content-Type": "text/plain"}),
    Abuse("mutation over GET", 400, "mutations are not allowed when using GET",
          query='mutation { deleteSegment(id: "seg_abuse") { __typename } }', method="GET"),
    Abuse("body over the limit", 413, "request body over the limit of 1048576 bytes",
          "PAYLOAD_TOO_LARGE",
          body=json.dumps({"query": "{ __typename }", "variables": {"x": "a" * 2_000_000}})
          .encode()),
]  # fmt: skip


@pytest.mark.parametrize("abuse", ABUSES, ids=[a.name for a in ABUSES])
def test_graphql_abuse_is_refused_clearly_and_never_a_server_error(
    service: str, abuse: Abuse
) -> None:
    url = f"{service}/graphql"
    headers = {"Content-Type": "application/json", **abuse.headers}
    if abuse.method == "GET":
        reply = httpx.get(url, params={"query": abuse.query}, headers=headers, timeout=30)
    else:
        body = abuse.body or json.dumps({"query": abuse.query}).encode()
        reply = httpx.post(url, content=body, headers=headers, timeout=30)
    assert reply.status_code == abuse.status, reply.text[:500]
    if reply.headers.get("content-type", "").startswith("application/json"):
        errors = reply.json()["errors"]
        assert errors, reply.text[:500]
        assert abuse.says in errors[0]["message"], errors[0]
        if abuse.code:
            assert errors[0]["extensions"]["code"] == abuse.code, errors[0]
        assert reply.json().get("data") in (None, {"deleteSegment": None},
                                            {"auditLog": None})  # fmt: skip
    else:
        assert abuse.code is None
        assert abuse.says in reply.text, reply.text[:500]


def test_a_chunked_body_over_the_limit_is_refused(service: str) -> None:
    """No Content-Length (chunked): refused by what arrives, 413 naming the limit."""

    def chunks() -> Iterator[bytes]:
        yield b'{"query": "{ __typename }", "variables": {"x": "'
        for _ in range(32):
            yield b"a" * 65536
        yield b'"}}'

    headers = {"Content-Type": "application/json", **ADMIN}
    reply = httpx.post(f"{service}/graphql", content=chunks(), headers=headers, timeout=30)
    assert reply.status_code == 413, reply.text[:300]
    assert reply.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
