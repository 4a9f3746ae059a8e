"""The cost limit, and production mode: introspection for admins only, unexpected errors
masked while expected ones keep their messages."""

from __future__ import annotations

from typing import Any, cast

import pytest
from graphql import parse

from matching.rules import DEFAULT_RULES
from resolvers.context import Context
from resolvers.cost import query_cost
from resolvers.guard import introspects
from resolvers.schema import make_schema

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("query", "variables", "cost"),
    [
        ("{ customer(id: 1) { id email } }", None, 3),
        ("{ customer(id: 1) { history(first: 100) { kind at } } }", None, 1 + 1 + 100 * 2),
        ("query ($n: Int) { customer(id: 1) { history(first: $n) { kind } } }", {"n": 7}, 9),
        ("query ($n: Int) { customer(id: 1) { history(first: $n) { kind } } }", {}, 3),
        ("{ reviews(first: 10) { link { waterfall { level weight } } } }", None, 1 + 10 * 4),
        (
            "{ a: customer(id: 1) { ...F } b: customer(id: 2) { ...F } } "
            "fragment F on Customer { id email phone }",
            None,
            8,
        ),
        ("{ customer(id: 1) { ... on Customer { id } } }", None, 2),
        ("query A { customer(id: 1) { id } } query B { conflicts(first: 50) { id } }", None, 0),
    ],
)
def test_cost_counts_fields_times_the_first_of_their_lists(
    query: str, variables: dict[str, Any] | None, cost: int
) -> None:
    assert query_cost(parse(query), None, variables) == cost


def test_cost_of_the_named_operation() -> None:
    doc = parse("query A { customer(id: 1) { id } } query B { conflicts(first: 50) { id } }")
    assert query_cost(doc, "A", None) == 2
    assert query_cost(doc, "B", None) == 51


@pytest.mark.parametrize(
    ("query", "asks"),
    [
        ("{ __schema { types { name } } }", True),
        ('{ __type(name: "Customer") { name } }', True),
        ("{ ...F } fragment F on Query { __schema { queryType { name } } }", True),
        ('{ ... on Query { __type(name: "X") { name } } }', True),
        ("{ __typename }", False),
        ('{ customer(id: "x") { __typename } }', False),
    ],
)
def test_introspection_is_recognised(query: str, asks: bool) -> None:
    assert introspects(parse(query), None) is asks


class Broken:
    """A repository whose server fails in a way nobody planned for."""

    def __getattr__(self, name: str) -> Any:
        raise RuntimeError("bolt://secret-host:7687 refused the connection")


def context(role: str) -> Context:
    wire = cast(Any, Broken())
    return Context(
        profiles=wire, normalise=wire, rules=DEFAULT_RULES, settings=wire, splits=wire,
        changes=None, trait_store=wire, reviews=wire, traits=(), cached=wire,
        related=wire, loaders=wire, hub=wire, search=wire, segments=wire, activations=wire,
        audit_entries=wire,
        actor="key:t", role=role,
    )  # fmt: skip


async def test_queries_above_the_cost_limit_are_refused_before_running() -> None:
    schema = make_schema(cost_limit=100)
    ctx = context("admin")
    result = await schema.execute(
        '{ customer(id: "c") { history(first: 200) { kind } } }', context_value=ctx
    )
    assert result.data is None
    assert [e.extensions for e in result.errors or []] == [
        {"code": "COST_LIMIT", "cost": 202, "limit": 100}
    ]
    assert ctx.access.calls == []  # nothing ran
    fine = await schema.execute('{ customer(id: "c") { id } }', context_value=context("admin"))
    assert "bolt://secret-host" in str(fine.errors)  # it ran (and failed: development)


INTROSPECT = "{ __schema { queryType { name } } }"


async def test_production_allows_introspection_to_admins_only() -> None:
    production = make_schema(production=True)
    for role in ("marketer", "analyst", "viewer", "ingest", ""):
        result = await production.execute(INTROSPECT, context_value=context(role))
        assert result.data is None
        assert [e.extensions for e in result.errors or []] == [{"code": "FORBIDDEN"}], role
    admin = await production.execute(INTROSPECT, context_value=context("admin"))
    assert admin.errors is None
    assert admin.data == {"__schema": {"queryType": {"name": "Query"}}}
    development = await make_schema().execute(INTROSPECT, context_value=context("viewer"))
    assert development.errors is None


async def test_production_masks_unexpected_errors_only() -> None:
    production = make_schema(production=True)
    broken = await production.execute(
        '{ customer(id: "c") { id } }', context_value=context("admin")
    )
    assert [e.message for e in broken.errors or []] == ["Unexpected error."]
    forbidden = await production.execute(
        '{ customer(id: "c") { id } }', context_value=context("ingest")
    )
    assert [e.message for e in forbidden.errors or []] == [
        "the role 'ingest' may not call Query.customer"
    ]
    bad_input = await production.execute("{ customer { id } }", context_value=context("admin"))
    assert [e.message for e in bad_input.errors or []] == [
        "customer needs exactly one of `id` or `identifier`"
    ]
    invalid = await production.execute("{ nope }", context_value=context("admin"))
    assert [e.message for e in invalid.errors or []] == [
        "Cannot query field 'nope' on type 'Query'."
    ]
