"""Search logic without servers: the Lucene query, cursors, input checks, the OpenSearch
request, and keeping an index in step (fakes implementing the real Protocols)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Literal

import pytest
from graphql import GraphQLError

from api.search_follower import FollowerStats
from graph.search import (
    Cursor,
    CustomerDocument,
    InvalidSearch,
    SearchFilter,
    SearchPage,
    TraitFilter,
    reindex,
    sync,
)
from graph.search.documents import document
from graph.search.lucene import lucene_query
from graph.search.model import checked, fuzziness
from graph.search.opensearch import search_body, source
from resolvers.search.queries import search_filter
from resolvers.search.types import CustomerSearchFilter, TraitFilterInput


@pytest.mark.parametrize(
    ("query", "lucene"),
    [
        ("Ada", "(ada~1 OR *ada*)"),
        ("Lovelace", "(lovelace~2 OR *lovelace*)"),
        ("al", "(al)"),
        ("ada lovelase", "(ada~1 OR *ada*) AND (lovelase~2 OR *lovelase*)"),
        ("kim@ex.com", "(kim@ex.com~2 OR *kim@ex.com*)"),
        ("5550199", "(5550199 OR *5550199*)"),
        ("415 555", "(415 OR *415*) AND (555 OR *555*)"),
        ("+1-415", r"(\+1\-415~2 OR *\+1\-415* OR *1415*)"),
        ("a:b(c)", r"(a\:b\(c\)~2 OR *a\:b\(c\)*)"),
        ("AND ada", "(ada~1 OR *ada*)"),
        ("?? --", None),
        ("OR", None),
    ],
)
def test_the_lucene_query_of_a_search(query: str, lucene: str | None) -> None:
    assert lucene_query(query) == lucene


@pytest.mark.parametrize(("term", "edits"), [("al", 0), ("ada", 1), ("grace", 1), ("hopper", 2)])
def test_fuzziness_is_opensearch_auto(term: str, edits: int) -> None:
    assert fuzziness(term) == edits


def test_a_cursor_round_trips_and_a_forged_one_is_refused() -> None:
    cursor = Cursor(1.2345678901234567, "cus_abc")
    assert Cursor.decode(cursor.encode()) == cursor
    for bad in ("not-a-cursor", "", "WzEsMl0", "WyJ4IiwiYyJd", "e30"):  # [1,2] ["x","c"] {}
        with pytest.raises(InvalidSearch, match="not a cursor"):
            Cursor.decode(bad)


@pytest.mark.parametrize(
    ("query", "first", "message"),
    [
        ("", 10, "must not be empty"),
        ("   ", 10, "must not be empty"),
        ("x" * 201, 10, "at most 200 characters"),
        ("ada", 0, "between 1 and 100"),
        ("ada", 101, "between 1 and 100"),
    ],
)
def test_bad_input_is_named(query: str, first: int, message: str) -> None:
    with pytest.raises(InvalidSearch, match=message):
        checked(query, first)
    assert checked("  ada ", 100) == "ada"


def test_the_opensearch_request() -> None:
    wanted = SearchFilter(
        sources=("web",),
        segments=("vip",),
        traits=(TraitFilter("orders_30d", gte=2), TraitFilter("tier", equals="gold")),
    )
    body = search_body("Ada 415", wanted, 10, Cursor(2.5, "cus_1"))
    assert body["size"] == 11
    assert body["search_after"] == [2.5, "cus_1"]
    assert body["sort"] == [{"_score": "desc"}, {"customer_id": "asc"}]
    should = body["query"]["bool"]["should"]
    assert should[0]["multi_match"]["fuzziness"] == "AUTO"
    assert should[1] == {"match_phrase": {"email.fragment": "ada415"}}
    assert should[2] == {"match_phrase": {"phone_digits": "415"}}
    assert body["query"]["bool"]["filter"] == [
        {"terms": {"sources": ["web"]}},
        {"terms": {"segments": ["vip"]}},
        {"range": {"traits.orders_30d": {"gte": 2}}},
        {"term": {"traits.tier": "gold"}},
    ]
    short = search_body("al", SearchFilter(), 5, None)
    assert len(short["query"]["bool"]["should"]) == 1  # no fragment under 3 characters
    assert "search_after" not in short


def test_a_document_from_the_graph_and_as_indexed() -> None:
    doc = document({
        "customer_id": "cus_1", "display_name": "Ada L", "email": "ada@x.com",
        "phone": "+14155550199", "sources": ["web", "crm", None], "segments": ["vip"],
        "traits": [["event_count", 3], ["tags", ["a", "b"]], ["tier", "gold"]],
    })  # fmt: skip
    assert doc.sources == ("crm", "web")
    assert dict(doc.traits) == {"event_count": 3, "tier": "gold"}  # lists are left out
    indexed = source(doc)
    assert indexed["phone_digits"] == "14155550199"
    assert indexed["traits"] == {"event_count": 3, "tier": "gold"}


class FakeIndex:
    kind: Literal["opensearch", "neo4j"] = "opensearch"
    follows_changes = True

    def __init__(self) -> None:
        self.docs: dict[str, CustomerDocument] = {}
        self.calls: list[str] = []

    async def ensure_index(self) -> bool:
        return False

    async def index(self, docs: Sequence[CustomerDocument]) -> None:
        self.calls.append(f"index {len(docs)}")
        self.docs.update((d.customer_id, d) for d in docs)

    async def delete(self, ids: Sequence[str]) -> None:
        self.calls.append(f"delete {len(ids)}")
        for i in ids:
            self.docs.pop(i, None)

    async def search(
        self, query: str, filter: SearchFilter, first: int, after: Cursor | None
    ) -> SearchPage:
        return SearchPage((), 0, False)


class FakeGraph:
    def __init__(self, live: Sequence[str]) -> None:
        self.live = list(live)
        self.reads = 0

    async def documents(self, ids: Sequence[str]) -> dict[str, CustomerDocument | None]:
        self.reads += 1
        return {i: CustomerDocument(i) if i in self.live else None for i in ids}

    async def live_ids(self, page: int = 1000) -> AsyncIterator[list[str]]:
        for start in range(0, len(self.live), page):
            yield self.live[start : start + page]


async def test_sync_indexes_the_live_and_deletes_the_merged_in_one_read() -> None:
    index, graph = FakeIndex(), FakeGraph(["cus_a", "cus_b"])
    index.docs["cus_old"] = CustomerDocument("cus_old")
    done = await sync(["cus_a", "cus_b", "cus_old"], graph, index)
    assert (done.indexed, done.deleted, graph.reads) == (2, 1, 1)
    assert sorted(index.docs) == ["cus_a", "cus_b"]
    assert index.calls == ["index 2", "delete 1"]
    none = await sync([], graph, index)
    assert (none.indexed, none.deleted, graph.reads) == (0, 0, 1)


async def test_reindex_sends_every_live_customer_a_page_at_a_time() -> None:
    index, graph = FakeIndex(), FakeGraph([f"cus_{i:03d}" for i in range(25)])
    done = await reindex(graph, index, page=10)
    assert (done.indexed, done.deleted) == (25, 0)
    assert index.calls == ["index 10", "index 10", "index 5"]
    assert len(index.docs) == 25


def test_the_graphql_filter_is_checked_against_the_traits() -> None:
    traits = {"event_count", "favourite_category"}
    given = CustomerSearchFilter(
        sources=["web"],
        traits=[TraitFilterInput(name="event_count", at_least=2, at_most=5),
                TraitFilterInput(name="favourite_category", equals="books")],
    )  # fmt: skip
    assert search_filter(given, traits) == SearchFilter(
        sources=("web",),
        traits=(TraitFilter("event_count", None, 2, 5),
                TraitFilter("favourite_category", "books")),
    )  # fmt: skip
    assert search_filter(None, traits) == SearchFilter()
    for bad, message in (
        (TraitFilterInput(name="shoe_size", equals=42), "unknown trait 'shoe_size'"),
        (TraitFilterInput(name="event_count", equals=[1, 2]), "string, number or boolean"),
        (TraitFilterInput(name="event_count"), "give equals, atLeast or atMost"),
    ):
        with pytest.raises(GraphQLError, match=message):
            search_filter(CustomerSearchFilter(traits=[bad]), traits)


def test_the_follower_reports_in_prometheus_format() -> None:
    stats = FollowerStats(assigned=6, indexed=10, deleted=2, failures=1)
    assert stats.prometheus().splitlines() == [
        "graphcdp_search_partitions 6",
        "graphcdp_search_indexed_total 10",
        "graphcdp_search_deleted_total 2",
        "graphcdp_search_failures_total 1",
    ]


def test_only_words_written_like_phone_numbers_give_phone_digits() -> None:
    from graph.search.lucene import word_clause
    from graph.search.model import phone_fragment

    assert phone_fragment("Ada 415") == "415"
    assert phone_fragment("+1 (415) 555") == "1415555"
    assert phone_fragment("a.edce77dde6@e") is None  # an email's digits are no phone's
    assert phone_fragment("12") is None
    assert word_clause("a.edce77dde6@e") == r"(a.edce77dde6@e~2 OR *a.edce77dde6@e*)"
    assert word_clause("(415)555") == r"(\(415\)555~2 OR *\(415\)555* OR *415555*)"
