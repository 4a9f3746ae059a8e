"""Both search adapters against the real servers: the same cases, the same answers.

Customers are written straight into Neo4j with a random family name (letters only) that no
other test uses; the OpenSearch adapter gets its own index, filled from the graph by the same
``sync`` the change follower runs, and deleted afterwards.
"""

from __future__ import annotations

import random
import string
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from neo4j import AsyncDriver

from graph.search import (
    DocumentReader,
    InvalidSearch,
    Neo4jSearch,
    OpenSearchIndex,
    SearchFilter,
    SearchIndex,
    TraitFilter,
    sync,
)
from graphcdp.settings import Settings

TRAITS = ("event_count", "revenue_total", "favourite_category")


@dataclass(frozen=True)
class People:
    tag: str
    family: str  # every customer's last name: a word no other test uses
    ada: str
    grace: str
    alan: str
    merged: str  # merged into ada: never a search result
    phone_fragment: str


def _family() -> str:
    return "".join(random.choice(string.ascii_lowercase) for _ in range(10)).capitalize()


@pytest.fixture(scope="module")
async def people(driver: AsyncDriver) -> AsyncIterator[People]:
    tag = uuid.uuid4().hex[:10]
    family = _family()
    n = int(tag[:6], 16) % 10**7
    p = People(tag, family, f"cus_s_{tag}_ada", f"cus_s_{tag}_grace", f"cus_s_{tag}_alan",
               f"cus_s_{tag}_old", f"{n:07d}")  # fmt: skip
    rows = [
        {"id": p.ada, "first": "Ada", "email": f"ada.{tag}@example.com",
         "phone": f"+1415{n:07d}", "sources": ["crm", "web"], "segments": [f"vip_{tag}"],
         "traits": {"event_count": 5, "revenue_total": 120.5, "favourite_category": "books"},
         "merged_into": None},
        {"id": p.grace, "first": "Grace", "email": f"grace.{tag}@navy.mil",
         "phone": f"+44207{(n + 1) % 10**7:07d}", "sources": ["web"], "segments": [f"vip_{tag}"],
         "traits": {"event_count": 1, "revenue_total": 10.0}, "merged_into": None},
        {"id": p.alan, "first": "Alan", "email": f"alan.{tag}@example.org", "phone": None,
         "sources": ["pos"], "segments": [],
         "traits": {"event_count": 9, "favourite_category": "maths"}, "merged_into": None},
        {"id": p.merged, "first": "Ada", "email": f"ada.{tag}@example.com",
         "phone": f"+1415{n:07d}", "sources": ["web"], "segments": [], "traits": {},
         "merged_into": p.ada},
    ]  # fmt: skip
    await driver.execute_query(
        """
        UNWIND $rows AS row
        CREATE (c:Customer {customer_id: row.id, first_name: row.first, last_name: $family,
                            display_name: row.first + ' ' + $family, email: row.email,
                            phone: row.phone, merged_into: row.merged_into})
        SET c += row.traits
        WITH c, row
        CALL (c, row) {
          UNWIND range(0, size(row.sources) - 1) AS i
          CREATE (:Record {record_id: row.id + '_r' + i, source: row.sources[i]})
                 -[:BELONGS_TO]->(c)
        }
        CALL (c, row) {
          UNWIND row.segments AS s
          MERGE (seg:Segment {segment_id: s})
          CREATE (c)-[:MEMBER_OF {since: '2026-01-01'}]->(seg)
        }
        """,
        rows=rows,
        family=family,
    )
    yield p
    await driver.execute_query(
        "MATCH (c:Customer) WHERE c.customer_id STARTS WITH $prefix "
        "OPTIONAL MATCH (r:Record)-[:BELONGS_TO]->(c) DETACH DELETE c, r",
        prefix=f"cus_s_{tag}_",
    )
    await driver.execute_query("MATCH (s:Segment {segment_id: $s}) DETACH DELETE s", s=f"vip_{tag}")


@pytest.fixture(scope="module")
async def opensearch(
    settings: Settings, driver: AsyncDriver, people: People
) -> AsyncIterator[OpenSearchIndex]:
    assert settings.opensearch_url
    index = OpenSearchIndex(settings.opensearch_url, f"test-customers-{people.tag}", refresh=True)
    assert await index.ensure_index() is True
    assert await index.ensure_index() is False
    reader = DocumentReader(driver, settings.neo4j_database, TRAITS)
    synced = await sync([people.ada, people.grace, people.alan, people.merged], reader, index)
    assert (synced.indexed, synced.deleted) == (3, 1)
    yield index
    await index.drop_index()
    await index.close()


@pytest.fixture(params=["opensearch", "neo4j"])
def search(
    request: pytest.FixtureRequest, opensearch: OpenSearchIndex, driver: AsyncDriver,
    settings: Settings,
) -> SearchIndex:  # fmt: skip
    if request.param == "opensearch":
        return opensearch
    return Neo4jSearch(driver, settings.neo4j_database)


def _typo(word: str) -> str:
    """One letter of ``word`` replaced (a typo)."""
    i = len(word) // 2
    return word[:i] + ("x" if word[i] != "x" else "y") + word[i + 1 :]


async def _ids(search: SearchIndex, query: str, f: SearchFilter | None = None) -> list[str]:
    page = await search.search(query, f or SearchFilter(), 20, None)
    return [h.customer_id for h in page.hits]


async def test_a_name_with_a_typo_finds_the_customer(search: SearchIndex, people: People) -> None:
    assert await _ids(search, f"ada {_typo(people.family)}") == [people.ada]
    assert await _ids(search, f"{_typo(people.family)} grace") == [people.grace]


async def test_an_email_fragment_finds_the_customer(search: SearchIndex, people: People) -> None:
    assert await _ids(search, f"a.{people.tag}@e") == [people.ada]
    assert sorted(await _ids(search, f"{people.tag}@exam")) == sorted([people.ada, people.alan])
    assert await _ids(search, f"grace.{people.tag}") == [people.grace]
    assert await _ids(search, f"ADA.{people.tag}@Example.com") == [people.ada]


async def test_a_phone_fragment_finds_the_customer(search: SearchIndex, people: People) -> None:
    assert await _ids(search, people.phone_fragment) == [people.ada]
    spaced = f"{people.phone_fragment[:3]} {people.phone_fragment[3:]}"
    assert await _ids(search, spaced) == [people.ada]


async def test_trait_filters_narrow_the_matches(search: SearchIndex, people: People) -> None:
    busy = SearchFilter(traits=(TraitFilter("event_count", gte=5),))
    assert sorted(await _ids(search, people.family, busy)) == sorted([people.ada, people.alan])
    books = SearchFilter(traits=(TraitFilter("favourite_category", equals="books"),))
    assert await _ids(search, people.family, books) == [people.ada]
    spent = SearchFilter(traits=(TraitFilter("revenue_total", gte=10, lte=100),))
    assert await _ids(search, people.family, spent) == [people.grace]
    exact = SearchFilter(traits=(TraitFilter("event_count", equals=9),))
    assert await _ids(search, people.family, exact) == [people.alan]


async def test_source_and_segment_filters_and_facets(search: SearchIndex, people: People) -> None:
    page = await search.search(people.family, SearchFilter(), 20, None)
    assert page.total == 3
    assert sorted(h.customer_id for h in page.hits) == sorted(
        [people.ada, people.grace, people.alan]
    )  # the merged customer is not a result
    assert {(f.value, f.count) for f in page.sources} == {("web", 2), ("crm", 1), ("pos", 1)}
    assert [(f.value, f.count) for f in page.segments] == [(f"vip_{people.tag}", 2)]
    web = await search.search(people.family, SearchFilter(sources=("web",)), 20, None)
    assert sorted(h.customer_id for h in web.hits) == sorted([people.ada, people.grace])
    assert {(f.value, f.count) for f in web.sources} == {("web", 2), ("crm", 1)}
    vip = SearchFilter(segments=(f"vip_{people.tag}",), sources=("pos", "crm"))
    assert await _ids(search, people.family, vip) == [people.ada]


async def test_pages_follow_cursors_to_the_end(search: SearchIndex, people: People) -> None:
    first = await search.search(people.family, SearchFilter(), 2, None)
    assert (len(first.hits), first.total, first.has_next) == (2, 3, True)
    rest = await search.search(people.family, SearchFilter(), 2, first.hits[-1].cursor)
    assert (len(rest.hits), rest.total, rest.has_next) == (1, 3, False)
    seen = [h.customer_id for h in first.hits + rest.hits]
    assert sorted(seen) == sorted([people.ada, people.grace, people.alan])
    scores = [h.score for h in first.hits + rest.hits]
    assert scores == sorted(scores, reverse=True)


async def test_bad_input_is_refused(search: SearchIndex, people: People) -> None:
    with pytest.raises(InvalidSearch, match="must not be empty"):
        await search.search("   ", SearchFilter(), 10, None)
    with pytest.raises(InvalidSearch, match="between 1 and 100"):
        await search.search(people.family, SearchFilter(), 101, None)


async def test_a_deleted_customer_leaves_the_index(
    opensearch: OpenSearchIndex, people: People
) -> None:
    # Last in this module: the other tests expect Grace in the index.
    await opensearch.delete([people.grace, f"cus_never_{people.tag}"])
    assert sorted(await _ids(opensearch, people.family)) == sorted([people.ada, people.alan])
    assert await _ids(opensearch, f"grace.{people.tag}") == []
