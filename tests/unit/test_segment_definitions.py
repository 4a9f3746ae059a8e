"""Segment definitions: parsing with the path of a bad node, compiling to one parameterised
condition from the building blocks, and which segments a change touches."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from graph.cypher import q
from ingest.segment_follower import attributes_only, needs_timer, plan
from segments.compile import BLOCKS, block_expression, compile_definition
from segments.definition import (
    All,
    InvalidDefinition,
    Not,
    Performed,
    Property,
    Window,
    parse,
)
from segments.jobs import Changed, in_order, membership_changes

pytestmark = pytest.mark.unit

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
BUYERS = {
    "rule": {"all": [
        {"performed": "Order Completed", "atLeast": 2, "withinDays": 30,
         "where": [{"property": "revenue", "op": "gte", "value": 50}]},
        {"attribute": "email", "op": "exists"},
        {"not": {"trait": "churn_risk", "op": "gt", "value": 0.8}},
    ]}
}  # fmt: skip


def _blocks() -> dict[str, str]:
    return {name: q(name).text for name in BLOCKS}


def test_a_definition_parses_into_typed_nodes() -> None:
    d = parse(BUYERS, traits=["churn_risk"])
    assert isinstance(d.rule, All)
    performed, email, not_risky = d.rule.nodes
    assert performed == Performed("Order Completed", 2, Window(days=30),
                                  (performed.where[0],))  # fmt: skip
    assert performed.where[0].field == "revenue"
    assert email == Property(email.compare, "attribute")
    assert isinstance(not_risky, Not)
    assert d.event_names() == {"Order Completed"}
    assert d.windowed()


@pytest.mark.parametrize(
    ("raw", "path", "reason"),
    [
        ([], "definition", "expected an object"),
        ({"rule": {}}, "rule", "expected exactly one of"),
        ({"rule": {"all": []}}, "rule.all", "non-empty list"),
        (
            {
                "rule": {
                    "all": [
                        {"attribute": "city", "op": "eq", "value": "Oslo"},
                        {"attribute": "city", "op": "like", "value": "O%"},
                    ]
                }
            },
            "rule.all[1].op",
            "expected one of",
        ),
        ({"rule": {"performed": "Buy", "atLeast": 0}}, "rule.atLeast", "1 to 10000"),
        (
            {"rule": {"performed": "Buy", "where": [{"property": "x", "op": "in", "value": 3}]}},
            "rule.where[0].value",
            "non-empty list",
        ),
        ({"rule": {"trait": "ltv", "op": "gt", "value": 1}}, "rule.trait", "unknown trait 'ltv'"),
        ({"rule": {"not": {"inSegment": ""}}}, "rule.not.inSegment", "non-empty name"),
        ({"rule": {"sharesWith": "wifi", "segment": "s"}}, "rule.sharesWith", "'device' or"),
        ({"rule": {"near": {"trait": "vip", "op": "exists"}, "hops": 3}}, "rule.hops", "1 or 2"),
        ({"rule": {"lastPerformed": "Signed In"}}, "rule", "withinDays, since or before"),
        (
            {"rule": {"attribute": "city", "op": "eq", "value": "Oslo", "colour": 1}},
            "rule.colour",
            "unknown field",
        ),
        ({"version": 2, "rule": {"inSegment": "s"}}, "definition.version", "unknown version"),
        ({"rule": {"attribute": "city", "op": "between", "value": [1]}}, "rule.value", "[low"),
    ],
)
def test_an_invalid_definition_names_the_path_of_the_bad_node(
    raw: Any, path: str, reason: str
) -> None:
    with pytest.raises(InvalidDefinition) as err:
        parse(raw, traits=["vip"])
    assert err.value.path == path
    assert reason in err.value.reason


def test_a_deep_or_huge_definition_is_refused() -> None:
    node: dict[str, Any] = {"inSegment": "s"}
    for _ in range(10):
        node = {"not": node}
    with pytest.raises(InvalidDefinition, match="nested deeper"):
        parse({"rule": node})
    many = {"rule": {"any": [{"inSegment": f"s{n}"} for n in range(60)]}}
    with pytest.raises(InvalidDefinition, match="more than 50"):
        parse(many)


def test_every_block_returns_one_expression() -> None:
    for name, text in _blocks().items():
        expression = block_expression(text)
        assert "RETURN" not in expression.split("\n")[0], name
        assert not expression.endswith("AS holds"), name


def test_compiling_renames_parameters_per_node_and_values_stay_parameters() -> None:
    compiled = compile_definition(parse(BUYERS), _blocks(), NOW)
    assert compiled.condition.startswith("((")
    assert " AND " in compiled.condition
    assert "(NOT (" in compiled.condition
    assert "Order Completed" not in compiled.condition  # values never become text
    assert compiled.params["n1_event"] == "Order Completed"
    assert compiled.params["n1_since"] == "2026-10-28T12:00:00.000Z"
    assert compiled.params["n1_at_least"] == 2
    assert compiled.params["n1_where"] == [{
        "op": "gte", "field": "revenue", "value": 50, "list": None, "low": None, "high": None,
        "text": None,
    }]  # fmt: skip
    assert compiled.params["n2_op"] == "exists"
    assert compiled.params["n3_field"] == "churn_risk"
    assert "$n3_value" in compiled.condition
    text = compiled.into(q("segment.evaluate_members").text)
    assert "true /* condition */" not in text
    assert compiled.condition in text


def test_which_segments_a_change_touches() -> None:
    defs = {
        "city": parse({"rule": {"attribute": "city", "op": "eq", "value": "Oslo"}}),
        "buyers": parse(BUYERS),
        "friends": parse({"rule": {"sharesWith": "device", "segment": "buyers"}}),
    }
    assert attributes_only(defs["city"])
    assert not attributes_only(defs["buyers"])
    assert needs_timer(defs["buyers"])
    assert needs_timer(defs["friends"])
    assert not needs_timer(defs["city"])
    events_only = {"type": "customer.updated", "customer_id": "c1", "records": 0, "events": 2}
    assert plan([events_only], defs) == {"buyers": {"c1"}, "friends": {"c1"}}
    merged = {"type": "customer.merged", "customer_id": "c1", "merged": "c2"}
    assert plan([merged], defs) == {k: {"c1", "c2"} for k in defs}
    entered = {"type": "segment.entered", "customer_id": "c3", "segment_id": "buyers"}
    assert plan([entered], defs) == {"friends": {"c3"}}
    assert plan([{"type": "customer.updated"}, "junk"], defs) == {}  # type: ignore[list-item]
    assert in_order(defs) == ["buyers", "city", "friends"]


def test_enters_and_exits_become_change_messages() -> None:
    out = membership_changes(Changed("s1", ("c1",), ("c2", "c3")), "t")
    assert out == [
        ("c1", {"type": "segment.entered", "customer_id": "c1", "segment_id": "s1", "at": "t"}),
        ("c2", {"type": "segment.exited", "customer_id": "c2", "segment_id": "s1", "at": "t"}),
        ("c3", {"type": "segment.exited", "customer_id": "c3", "segment_id": "s1", "at": "t"}),
    ]
    assert not Changed("s1", (), ())


def test_each_leaf_compiles_alone_and_the_answers_combine_up_the_tree() -> None:
    from segments.compile import combine, compile_leaves

    d = parse(BUYERS)
    leaves, compiled = compile_leaves(d, _blocks(), NOW)
    assert [p for p, _ in leaves] == ["rule.all[0]", "rule.all[1]", "rule.all[2].not"]
    assert compiled.params["l0_n1_event"] == "Order Completed"
    assert compiled.params["l2_n1_field"] == "churn_risk"
    assert "$l1_n1_op" in compiled.condition
    assert "$n1_" not in compiled.condition.replace("_n1_", "")
    answers = {"rule.all[0]": True, "rule.all[1]": True, "rule.all[2].not": False}
    assert combine(d.rule, answers)
    assert not combine(d.rule, answers | {"rule.all[2].not": True})
    assert not combine(d.rule, answers | {"rule.all[1]": False})
