"""The response cache's rules: which documents it may keep, and how entries are forgotten."""

from __future__ import annotations

import pytest

from api.response_cache import Entry, ResponseCache
from resolvers.cacheable import cacheable, operation_name
from resolvers.schema import schema

pytestmark = pytest.mark.unit

GRAPHQL = schema._schema


@pytest.mark.parametrize(
    ("query", "operation", "expected"),
    [
        ('{ customer(id: "c") { id displayName email recordCount } }', None, True),
        ("query P($v: String!) { customer(identifier: {type: EMAIL, value: $v}) {"
         " id identifiers { type value key } devices { id kind os firstSeen lastSeen }"
         " provenance { attribute value source policy recordId timestamp }"
         " traits { name value } __typename } }", "P", True),
        # Fragments are followed, inline and named.
        ('query { customer(id: "c") { ...F ... on Customer { email } } }'
         " fragment F on Customer { firstName }", None, True),
        ('query { customer(id: "c") { ...F } } fragment F on Customer { segments { name } }',
         None, False),
        # Fields that read the graph on every request are never kept.
        ('{ customer(id: "c") { id events(first: 20) { edges { node { id } } } } }', None, False),
        ('{ customer(id: "c") { related(kind: DEVICE, depth: 2) { hops } } }', None, False),
        ('{ customer(id: "c") { consent { purpose } } }', None, False),
        ('{ customer(id: "c") { identifiers { customers { id } } } }', None, False),
        ('{ customer(id: "c") { id } searchCustomers(query: "x") { totalCount } }', None, False),
        ("{ customers(first: 1) { totalCount } }", None, False),
        # Only one query operation, and the one asked for.
        ("mutation { setConsent(input: {}) { __typename } }", None, False),
        ('query A { customer(id: "a") { id } } query B { customer(id: "b") { id } }', "A", False),
        ('query A { customer(id: "a") { id } }', "B", False),
        ('query A { customer(id: "a") { id } }', "A", True),
        ('{ customer(id: "a") { id } }', "A", False),
        ("{ __schema { types { name } } }", None, False),
        ("{ customer(id: ", None, False),
        ('{ customer(id: "c") { nosuchfield } }', None, False),
    ],
)  # fmt: skip
def test_only_profile_documents_are_cacheable(
    query: str, operation: str | None, expected: bool
) -> None:
    assert cacheable(GRAPHQL, query, operation) is expected


def test_the_operation_name_of_a_cacheable_document() -> None:
    named = 'query Profile { customer(id: "c") { id } }'
    assert operation_name(GRAPHQL, named, None) == "Profile"
    assert operation_name(GRAPHQL, named, "Profile") == "Profile"
    assert operation_name(GRAPHQL, '{ customer(id: "c") { id } }', None) is None


def _entry(*tags: str) -> Entry:
    return Entry(b'{"data":{}}', frozenset(tags), None)


def test_a_change_forgets_the_responses_showing_that_customer_only() -> None:
    cache = ResponseCache(size=100, ttl=30)
    since = cache.begin()
    assert cache.put(("admin", b"a"), _entry("c1"), since)
    assert cache.put(("admin", b"b"), _entry("c1", "c2"), since)
    assert cache.put(("viewer", b"a"), _entry("c2"), since)
    cache.forget(["c1"])
    assert cache.get(("admin", b"a")) is None
    assert cache.get(("admin", b"b")) is None
    assert cache.get(("viewer", b"a")) == _entry("c2")
    assert cache.stats.forgotten == 2
    cache.forget(None)
    assert len(cache) == 0


def test_an_answer_computed_across_a_change_of_its_customer_is_not_kept() -> None:
    cache = ResponseCache(size=100, ttl=30)
    cache.forget(["c1"])  # a change before the computation began: no matter
    since = cache.begin()
    cache.forget(["c2"])  # another customer changed meanwhile: no matter
    assert cache.put(("admin", b"a"), _entry("c1"), since)
    since = cache.begin()
    cache.forget(["c1"])  # its customer changed while it was computed: stale, dropped
    assert not cache.put(("admin", b"b"), _entry("c1"), since)
    since = cache.begin()
    cache.forget(None)  # everything forgotten meanwhile (missed invalidations)
    assert not cache.put(("admin", b"c"), _entry("c3"), since)
    assert cache.get(("admin", b"b")) is None


def test_a_replaced_entry_is_untagged_and_size_zero_turns_the_cache_off() -> None:
    cache = ResponseCache(size=100, ttl=30)
    assert cache.put(("admin", b"a"), _entry("c1"), cache.begin())
    assert cache.put(("admin", b"a"), _entry("c2"), cache.begin())
    cache.forget(["c1"])
    assert cache.get(("admin", b"a")) == _entry("c2")
    assert cache.enabled
    assert not ResponseCache(size=0, ttl=30).enabled
