"""searchCustomers through the running service: identify calls in over HTTP, the worker
writes the graph and publishes cdp.changes, the API's follower indexes the change, and
GraphQL finds the customer; after a change and a merge, the index follows."""

from __future__ import annotations

import random
import string
import time
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

import httpx

from graphcdp.settings import Settings
from tests.e2e.conftest import ADMIN

T = TypeVar("T")
SEARCH = """
query ($query: String!, $filter: CustomerSearchFilter, $first: Int, $after: String) {
  searchCustomers(query: $query, filter: $filter, first: $first, after: $after) {
    totalCount backend
    edges { cursor score node { id displayName email phone } }
    pageInfo { hasNextPage endCursor }
    facets { sources { value count } segments { value count } }
  }
}"""


def _graphql(base: str, document: str, **variables: Any) -> dict[str, Any]:
    body = {"query": document, "variables": variables}
    reply = httpx.post(f"{base}/graphql", json=body, headers=ADMIN, timeout=10)
    assert reply.status_code == 200, reply.text
    body: dict[str, Any] = reply.json()
    return body


def _search(base: str, query: str, **variables: Any) -> dict[str, Any]:
    body = _graphql(base, SEARCH, query=query, **variables)
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["searchCustomers"]
    return result


def _until(probe: Callable[[], T | None], what: str, timeout: float = 30) -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = probe()
        if found is not None:
            return found
        time.sleep(0.3)
    raise AssertionError(f"not within {timeout:g} s: {what}")


def _identify(base: str, settings: Settings, body: dict[str, Any]) -> None:
    key = next(iter(settings.parsed_write_keys()))
    reply = httpx.post(f"{base}/v1/identify", auth=(key, ""), json=body, timeout=10)
    assert reply.status_code == 200, reply.text


def _found(base: str, query: str, count: int = 1) -> Callable[[], dict[str, Any] | None]:
    """A probe: the search result once it counts ``count`` matches."""

    def probe() -> dict[str, Any] | None:
        result = _search(base, query)
        return result if result["totalCount"] == count else None

    return probe


def _word() -> str:
    return "".join(random.choice(string.ascii_lowercase) for _ in range(10)).capitalize()


def _ids(result: dict[str, Any]) -> list[str]:
    return [e["node"]["id"] for e in result["edges"]]


def test_search_finds_an_identified_customer_and_follows_changes_and_merges(
    service: str, search_api: str, settings: Settings
) -> None:
    tag = uuid.uuid4().hex[:10]
    n = int(tag[:6], 16)
    family, married = _word(), _word()
    phone = f"+1 415 {200 + n % 800} {n % 10**4:04d}"
    other_phone = f"+1 628 {200 + (n + 7) % 800} {(n + 7) % 10**4:04d}"
    _identify(service, settings, {"userId": f"u-{tag}", "traits": {
        "email": f"zelda.{tag}@example.com", "firstName": "Zelda", "lastName": family,
        "phone": phone}})  # fmt: skip

    typo = family[:4] + ("q" if family[4] != "q" else "w") + family[5:]
    result = _until(
        _found(search_api, f"zelda {typo}"), f"a search for {typo} finds the new customer"
    )
    assert result["backend"] == "opensearch"
    [edge] = result["edges"]
    zelda = edge["node"]["id"]
    assert edge["node"]["email"] == f"zelda.{tag}@example.com"
    assert edge["node"]["displayName"] == f"Zelda {family}"
    assert result["facets"]["sources"] == [{"value": "demo", "count": 1}]
    assert result["pageInfo"] == {"hasNextPage": False, "endCursor": edge["cursor"]}
    assert _ids(_search(search_api, f"a.{tag}@exam")) == [zelda]
    assert _ids(_search(search_api, phone[-8:])) == [zelda]

    # A change: the index follows the new last name, and the old one no longer finds her.
    _identify(service, settings, {"userId": f"u-{tag}", "traits": {"lastName": married}})
    renamed = _until(_found(search_api, married), f"a search for the new name {married}")
    assert _ids(renamed) == [zelda]
    assert _search(search_api, family)["totalCount"] == 0

    # Another customer, anonymous, same name; then one call names both, and they merge:
    # the absorbed one leaves the index.
    _identify(service, settings, {"anonymousId": f"anon-{tag}", "traits": {
        "firstName": "Zelda", "lastName": married, "phone": other_phone}})  # fmt: skip
    both = _until(_found(search_api, married, 2), "the second customer in the index")
    absorbed = next(i for i in _ids(both) if i != zelda)
    _identify(service, settings, {"userId": f"u-{tag}", "anonymousId": f"anon-{tag}"})
    merged = _until(_found(search_api, married, 1), "the merged customer left the index")
    assert _ids(merged) == [zelda]
    assert absorbed not in _ids(_search(search_api, other_phone[-8:]))


def test_search_pages_with_cursors_and_refuses_bad_input(
    service: str, search_api: str, settings: Settings
) -> None:
    family = _word()
    tag = uuid.uuid4().hex[:8]
    for first in ("Ann", "Bea", "Cid"):
        _identify(service, settings, {"userId": f"p-{first}-{tag}", "traits": {
            "firstName": first, "lastName": family}})  # fmt: skip
    _until(_found(search_api, family, 3), "three customers indexed")
    page = _search(search_api, family, first=2)
    assert len(page["edges"]) == 2
    assert page["pageInfo"]["hasNextPage"] is True
    rest = _search(search_api, family, first=2, after=page["pageInfo"]["endCursor"])
    assert len(rest["edges"]) == 1
    assert rest["pageInfo"]["hasNextPage"] is False
    assert len(set(_ids(page) + _ids(rest))) == 3

    filtered = _search(search_api, family, filter={"sources": ["nowhere"]})
    assert filtered["totalCount"] == 0
    for variables, message in (
        ({"query": "  "}, "query must not be empty"),
        ({"query": family, "first": 101}, "first must be between 1 and 100"),
        ({"query": family, "after": "not-a-cursor"}, "not a cursor"),
        ({"query": family, "filter": {"traits": [{"name": "shoe_size", "atLeast": 1}]}},
         "unknown trait 'shoe_size'"),
    ):  # fmt: skip
        body = _graphql(search_api, SEARCH, **variables)
        assert body["data"] is None
        [error] = body["errors"]
        assert message in error["message"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT"


def test_without_opensearch_the_same_query_runs_on_neo4j(
    service: str, neo4j_search_api: str, settings: Settings
) -> None:
    tag = uuid.uuid4().hex[:10]
    family = _word()
    _identify(service, settings, {"userId": f"n-{tag}", "traits": {
        "email": f"neo.{tag}@example.org", "firstName": "Neo", "lastName": family}})  # fmt: skip
    typo = family[:4] + ("q" if family[4] != "q" else "w") + family[5:]
    result = _until(_found(neo4j_search_api, f"neo {typo}"), "Neo4j's full-text index finds it")
    assert result["backend"] == "neo4j"
    assert [e["node"]["email"] for e in result["edges"]] == [f"neo.{tag}@example.org"]
    assert result["facets"]["sources"] == [{"value": "demo", "count": 1}]
    assert _ids(_search(neo4j_search_api, f"o.{tag}@exa")) == _ids(result)
    ready = httpx.get(f"{neo4j_search_api}/readyz", timeout=10).json()
    assert "opensearch" not in ready["checks"]
