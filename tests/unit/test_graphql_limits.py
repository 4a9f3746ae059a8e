"""The schema's limits: aliases and depth are refused at validation, a normal query is not."""

from __future__ import annotations

import pytest

from resolvers.schema import schema

pytestmark = pytest.mark.unit


def _errors(query: str) -> list[str]:
    result = schema.execute_sync(query)
    return [e.message for e in result.errors or []]


def test_more_than_thirty_aliases_are_refused() -> None:
    fine = "{ " + " ".join(f"a{i}: __typename" for i in range(30)) + " }"
    flood = "{ " + " ".join(f"a{i}: __typename" for i in range(31)) + " }"
    assert _errors(fine) == []
    assert _errors(flood) == ["31 aliases found. Allowed: 30"]
    assert _errors(flood) == ["31 aliases found. Allowed: 30"]  # the same, from the cache


def test_a_query_deeper_than_ten_is_refused() -> None:
    nested = (
        'query Deep { customer(id: "x") { identityGraph { records { identifiers { key } } } } }'
    )
    assert all("exceeds maximum operation depth" not in e for e in _errors(nested))
    # depth is measured on the document, whatever types exist: build one 11 fields deep
    too_deep = "query Deep { " + 'customer(id: "x") { ' + "a { " * 10 + "b" + " }" * 11 + " }"
    assert "'Deep' exceeds maximum operation depth of 10" in _errors(too_deep)
