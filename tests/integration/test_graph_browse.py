"""Browsing the graph through GraphQL against the real Neo4j: pages of customers, events,
groups, related customers over devices, addresses and households, identity paths, a device's
and an identifier's customers; and a bounded number of Cypher round trips per request,
whatever the page size (DataLoaders)."""

from __future__ import annotations

import random
import string
from collections.abc import AsyncIterator
from typing import Any

import pytest
from neo4j import AsyncDriver
from redis.asyncio import Redis

from graph.cache import CacheConfig, ProfileCache
from graph.repository import (
    AuditRepository,
    ProfileRepository,
    RelatedRepository,
    ReviewRepository,
    SettingsRepository,
    SplitRepository,
    TraitRepository,
)
from graph.repository.activations import ActivationRepository
from graph.repository.segments import SegmentRepository
from graph.search import Neo4jSearch
from graphcdp.settings import Settings
from matching.normalise import NormaliseOptions
from matching.rules import DEFAULT_RULES
from resolvers.context import Context
from resolvers.customer.loaders import Loaders
from resolvers.hub import ChangeHub
from resolvers.schema import schema

pytestmark = pytest.mark.integration

# A, B, C, D, E share things: devices d1 (A, B) and d2 (B, C); the address of A's and D's
# records; a household (A, C) and a company (A, D); d3 is a kiosk (A, B, E: over the cap of 2).
GRAPH = """
UNWIND $customers AS c
CREATE (:Customer {customer_id: $t + c, created_at: '2026-01-01', updated_at: '2026-01-0' + c})
WITH count(*) AS made
UNWIND $records AS r
MATCH (c:Customer {customer_id: $t + r.c})
CREATE (rec:Record {record_id: $t + 'r' + r.c, source: $t + 'src', bk_addr_city: r.addr})
CREATE (rec)-[:BELONGS_TO]->(c)
WITH count(*) AS made
MERGE (i:Identifier {key: 'email:' + $t + '@x.example'})
  ON CREATE SET i.type = 'email', i.value = $t + '@x.example'
WITH i
MATCH (ra:Record {record_id: $t + 'r1'}), (rb:Record {record_id: $t + 'r2'})
CREATE (ra)-[:HAS_IDENTIFIER]->(i), (rb)-[:HAS_IDENTIFIER]->(i)
WITH count(*) AS made
UNWIND $uses AS u
MATCH (c:Customer {customer_id: $t + u[0]})
MERGE (d:Device {device_id: $t + u[1]})
CREATE (c)-[:USES_DEVICE]->(d)
WITH count(*) AS made
UNWIND $groups AS g
MATCH (c:Customer {customer_id: $t + g[0]})
MERGE (grp:Group {group_id: $t + g[1]}) ON CREATE SET grp.type = g[2], grp.name = g[1]
CREATE (c)-[:IN_GROUP]->(grp)
WITH count(*) AS made
UNWIND range(1, 3) AS n
MATCH (a:Customer {customer_id: $t + '1'})
CREATE (a)-[:PERFORMED]->(:Event {event_id: $t + 'e' + n, type: 'track',
  name: CASE n WHEN 2 THEN 'Signed Up' ELSE 'Order Completed' END,
  timestamp: '2026-11-0' + n + 'T10:00:00.000Z', properties: '{"n": ' + n + '}'})
"""


def _tag() -> str:
    return "br" + "".join(random.choices(string.ascii_lowercase, k=8)) + "_"


class CountingDriver:
    """The real driver, counting the Cypher round trips made through it."""

    def __init__(self, driver: AsyncDriver) -> None:
        self.driver, self.calls = driver, 0
        self.execute_query_bookmark_manager = driver.execute_query_bookmark_manager

    async def execute_query(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        return await self.driver.execute_query(*args, **kwargs)

    def session(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        return self.driver.session(*args, **kwargs)


@pytest.fixture(scope="module")
async def tag(driver: AsyncDriver) -> str:
    t = _tag()
    await driver.execute_query(
        GRAPH, t=t, customers=["1", "2", "3", "4", "5"],
        records=[{"c": "1", "addr": t + "1 elm st|springfield"}, {"c": "2", "addr": None},
                 {"c": "3", "addr": None}, {"c": "4", "addr": t + "1 elm st|springfield"},
                 {"c": "5", "addr": None}],
        uses=[["1", "d1"], ["2", "d1"], ["2", "d2"], ["3", "d2"],
              ["1", "d3"], ["2", "d3"], ["5", "d3"]],
        groups=[["1", "h", "household"], ["3", "h", "household"],
                ["1", "co", "company"], ["4", "co", "company"]],
    )  # fmt: skip
    return t


@pytest.fixture
async def counted(
    driver: AsyncDriver, settings: Settings
) -> AsyncIterator[tuple[Context, CountingDriver]]:
    counting = CountingDriver(driver)
    db = settings.neo4j_database
    profiles = ProfileRepository(counting, db)  # type: ignore[arg-type]
    related = RelatedRepository(counting, db, cap=2)  # type: ignore[arg-type]
    redis = Redis.from_url(settings.redis_url)
    context = Context(
        profiles=profiles, normalise=NormaliseOptions(), rules=DEFAULT_RULES,
        settings=SettingsRepository(driver, db), splits=SplitRepository(driver, db),
        changes=None, trait_store=TraitRepository(driver, db),
        reviews=ReviewRepository(driver, db), traits=(),
        cached=ProfileCache(profiles, redis, CacheConfig()), related=related,
        loaders=Loaders(profiles, related, SegmentRepository(driver, db)), hub=ChangeHub(),
        search=Neo4jSearch(driver, db), segments=SegmentRepository(driver, db),
        audit_entries=AuditRepository(driver, db), activations=ActivationRepository(driver, db),
        actor="key:test", role="admin",
    )  # fmt: skip
    yield context, counting
    await redis.aclose()


async def _run(context: Context, query: str, **variables: Any) -> dict[str, Any]:
    result = await schema.execute(query, variable_values=variables, context_value=context)
    assert result.errors is None, result.errors
    assert result.data is not None
    return result.data


PAGE = """
query ($source: String!, $first: Int!, $after: String) {
  customers(filter: {source: $source}, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node {
      id
      devices { id customers { id } }
      identifiers { key customers { id } }
      events(first: 2) { edges { node { name } } pageInfo { hasNextPage } }
      groups { id household }
      related(kind: DEVICE, depth: 2) { customer { id } hops through via }
    } }
  }
}
"""


async def test_a_page_of_customers_costs_the_same_round_trips_whatever_its_size(
    tag: str, counted: tuple[Context, CountingDriver]
) -> None:
    context, counting = counted
    calls = []
    for first in (1, 5):
        counting.calls = 0
        context.loaders = Loaders(context.profiles, context.related, context.segments)
        data = await _run(context, PAGE, source=tag + "src", first=first)
        assert data["customers"]["totalCount"] == 5
        assert len(data["customers"]["edges"]) == first
        calls.append(counting.calls)
    # At most one round trip per loader and wave: customers, their profiles, the devices'
    # and the identifiers' customers and (in up to two batches) their profiles, events,
    # groups, related customers (both hops in one query) and their profiles. Five cost no more
    # than one (the loaders may even batch more of the waves together).
    assert max(calls) <= 10, calls
    assert calls[1] <= calls[0], calls


async def test_customers_page_by_cursor_and_filter(
    tag: str, counted: tuple[Context, CountingDriver]
) -> None:
    context, _ = counted
    seen: list[str] = []
    after = None
    while True:
        data = await _run(context, PAGE, source=tag + "src", first=2, after=after)
        page = data["customers"]
        seen += [e["node"]["id"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == [tag + n for n in "12345"]
    one = """query ($s: String!) { customers(filter: {source: $s, updatedSince: "2026-01-04"}) {
               totalCount edges { node { id } } } }"""
    data = await _run(context, one, s=tag + "src")
    assert data["customers"]["totalCount"] == 2
    bad = await schema.execute("{ customers(first: 101) { totalCount } }", context_value=context)
    assert bad.errors
    assert bad.errors[0].extensions == {"code": "BAD_USER_INPUT"}
    bad = await schema.execute(
        '{ customers(after: "not-a-cursor") { totalCount } }', context_value=context
    )
    assert bad.errors
    assert "not a cursor" in bad.errors[0].message


async def test_related_customers_by_device_address_and_household(
    tag: str, counted: tuple[Context, CountingDriver]
) -> None:
    context, counting = counted
    query = """query ($id: ID!, $kind: RelatedKind!, $depth: Int!) {
      customer(id: $id) { related(kind: $kind, depth: $depth) { customer { id } hops through via } }
    }"""

    async def related(kind: str, depth: int) -> list[tuple[str, int, str, str]]:
        data = await _run(context, query, id=tag + "1", kind=kind, depth=depth)
        return [(r["customer"]["id"], r["hops"], r["through"], r["via"])
                for r in data["customer"]["related"]]  # fmt: skip

    # The kiosk d3 (three customers, over the cap of 2) relates no one.
    assert await related("DEVICE", 1) == [(tag + "2", 1, tag + "1", tag + "d1")]
    # Every hop in one query: the root, the traversal, and the related customers' profiles.
    counting.calls = 0
    context.loaders = Loaders(context.profiles, context.related, context.segments)
    assert [r[:2] for r in await related("DEVICE", 3)] == [(tag + "2", 1), (tag + "3", 2)]
    assert counting.calls <= 3, counting.calls
    assert await related("DEVICE", 2) == [
        (tag + "2", 1, tag + "1", tag + "d1"),
        (tag + "3", 2, tag + "2", tag + "d2"),
    ]
    assert await related("ADDRESS", 1) == [(tag + "4", 1, tag + "1", tag + "1 elm st|springfield")]
    assert await related("HOUSEHOLD", 3) == [(tag + "3", 1, tag + "1", tag + "h")]
    assert {r[0] for r in await related("GROUP", 1)} == {tag + "3", tag + "4"}
    bad = await schema.execute(
        "query ($id: ID!) { customer(id: $id) { related(kind: DEVICE, depth: 4) { hops } } }",
        variable_values={"id": tag + "1"},
        context_value=context,
    )
    assert bad.errors
    assert bad.errors[0].extensions == {"code": "BAD_USER_INPUT"}


async def test_events_page_newest_first_and_filter_by_name_and_time(
    tag: str, counted: tuple[Context, CountingDriver]
) -> None:
    context, _ = counted
    query = """query ($id: ID!, $after: String, $names: [String!], $since: String) {
      customer(id: $id) { events(first: 2, after: $after, names: $names, since: $since) {
        edges { cursor node { id name timestamp properties } }
        pageInfo { hasNextPage endCursor } } }
    }"""
    data = await _run(context, query, id=tag + "1")
    page = data["customer"]["events"]
    assert [e["node"]["id"] for e in page["edges"]] == [tag + "e3", tag + "e2"]
    assert page["edges"][0]["node"]["properties"] == {"n": 3}
    assert page["pageInfo"]["hasNextPage"] is True
    data = await _run(context, query, id=tag + "1", after=page["pageInfo"]["endCursor"])
    rest = data["customer"]["events"]
    assert [e["node"]["id"] for e in rest["edges"]] == [tag + "e1"]
    assert rest["pageInfo"] == {"hasNextPage": False, "endCursor": rest["edges"][0]["cursor"]}
    data = await _run(context, query, id=tag + "1", names=["Order Completed"],
                      since="2026-11-02")  # fmt: skip
    assert [e["node"]["id"] for e in data["customer"]["events"]["edges"]] == [tag + "e3"]


async def test_groups_identity_path_and_the_customers_of_a_device_and_an_identifier(
    tag: str, counted: tuple[Context, CountingDriver]
) -> None:
    context, _ = counted
    query = """query ($id: ID!, $other: ID!, $device: ID!) {
      customer(id: $id) { groups { id household traits }
                          identifiers { key customers { id } } }
      identityPath(from: $id, to: $other) { label id via }
      device(id: $device) { id customers { id } }
    }"""
    data = await _run(context, query, id=tag + "1", other=tag + "2", device=tag + "d2")
    groups = {g["id"]: g for g in data["customer"]["groups"]}
    assert groups[tag + "h"]["household"] is True
    assert groups[tag + "co"] == {"id": tag + "co", "household": False,
                                  "traits": {"type": "company", "name": "co"}}  # fmt: skip
    [email] = data["customer"]["identifiers"]
    assert [c["id"] for c in email["customers"]] == [tag + "1", tag + "2"]
    assert data["identityPath"] == [
        {"label": "Customer", "id": tag + "1", "via": None},
        {"label": "Record", "id": tag + "r1", "via": "BELONGS_TO"},
        {"label": "Identifier", "id": f"email:{tag}@x.example", "via": "HAS_IDENTIFIER"},
        {"label": "Record", "id": tag + "r2", "via": "HAS_IDENTIFIER"},
        {"label": "Customer", "id": tag + "2", "via": "BELONGS_TO"},
    ]
    assert [c["id"] for c in data["device"]["customers"]] == [tag + "2", tag + "3"]
    none = await _run(context, query, id=tag + "1", other=tag + "nobody", device=tag + "no")
    assert none["identityPath"] is None
    assert none["device"] is None
