"""Segment conditions evaluated by the real Neo4j over a small tagged graph: every kind of
condition, and/or/not, memberships with their history, a new version and a delete."""

from __future__ import annotations

import json
import random
import string
from datetime import UTC, datetime
from typing import Any

import pytest
from neo4j import AsyncDriver

from graph.repository.segments import SegmentRepository
from segments.definition import parse
from segments.jobs import preview, refresh

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)

# Ann: Oslo, vip, 3 big recent orders, on the tablet with Bob, in a household with Cat.
# Bob: Bergen, 1 order long ago, on the tablet. Cat: Oslo, no orders, household with Ann.
# Dan: no city, 2 small recent orders; Eve: shares Bob's phone only.
GRAPH = """
UNWIND $people AS p
CREATE (c:Customer {customer_id: $t + p.id, created_at: '2026-01-01', updated_at: '2026-01-01'})
SET c += p.props
WITH count(*) AS made
UNWIND $orders AS o
MATCH (c:Customer {customer_id: $t + o[0]})
CREATE (c)-[:PERFORMED]->(:Event {event_id: $t + o[0] + o[1], type: 'track', name: o[2],
                                  timestamp: o[1], properties: o[3]})
WITH count(*) AS made
UNWIND $uses AS u
MATCH (c:Customer {customer_id: $t + u[0]})
MERGE (d:Device {device_id: $t + u[1]})
CREATE (c)-[:USES_DEVICE]->(d)
WITH count(*) AS made
UNWIND ['ann', 'cat'] AS who
MATCH (c:Customer {customer_id: $t + who})
MERGE (g:Group {group_id: $t + 'home'}) ON CREATE SET g.type = 'household'
CREATE (c)-[:IN_GROUP]->(g)
"""


def _tag() -> str:
    return "sg" + "".join(random.choices(string.ascii_lowercase, k=8)) + "_"


@pytest.fixture(scope="module")
async def tag(driver: AsyncDriver) -> str:
    t = _tag()
    big, small = json.dumps({"revenue": 120}), json.dumps({"revenue": 10})
    await driver.execute_query(
        GRAPH, t=t,
        people=[{"id": "ann", "props": {"city": "Oslo", "vip": True, "email": "a@x"}},
                {"id": "bob", "props": {"city": "Bergen", "email": "b@x"}},
                {"id": "cat", "props": {"city": "Oslo"}},
                {"id": "dan", "props": {}},
                {"id": "eve", "props": {"vip": False}}],
        orders=[["ann", "2026-11-20T10:00:00.000Z", "Order Completed", big],
                ["ann", "2026-11-21T10:00:00.000Z", "Order Completed", big],
                ["ann", "2026-11-22T10:00:00.000Z", "Order Completed", small],
                ["bob", "2025-01-05T10:00:00.000Z", "Order Completed", big],
                ["dan", "2026-11-25T10:00:00.000Z", "Order Completed", small],
                ["dan", "2026-11-26T10:00:00.000Z", "Order Completed", small],
                ["ann", "2026-11-26T08:00:00.000Z", "Signed In", "{}"]],
        uses=[["ann", "tablet"], ["bob", "tablet"], ["bob", "phone"], ["eve", "phone"]],
    )  # fmt: skip
    return t


PEOPLE = ("ann", "bob", "cat", "dan", "eve")


async def _who(repo: SegmentRepository, tag: str, rule: dict[str, Any]) -> set[str]:
    from segments.compile import BLOCKS, compile_definition

    compiled = compile_definition(parse({"rule": rule}), repo.blocks(BLOCKS), NOW)
    ids = [tag + p for p in PEOPLE]
    return {c.removeprefix(tag) for c in await repo.evaluate(compiled.condition,
                                                              compiled.params, ids)}  # fmt: skip


@pytest.mark.parametrize(
    ("rule", "members"),
    [
        ({"attribute": "city", "op": "eq", "value": "Oslo"}, {"ann", "cat"}),
        ({"attribute": "city", "op": "in", "value": ["Bergen", "Oslo"]}, {"ann", "bob", "cat"}),
        ({"attribute": "city", "op": "contains", "value": "erg"}, {"bob"}),
        ({"attribute": "email", "op": "exists"}, {"ann", "bob"}),
        ({"not": {"attribute": "city", "op": "eq", "value": "Oslo"}}, {"bob", "dan", "eve"}),
        ({"trait": "vip", "op": "eq", "value": True}, {"ann"}),
        ({"performed": "Order Completed", "atLeast": 2, "withinDays": 30}, {"ann", "dan"}),
        (
            {
                "performed": "Order Completed",
                "atLeast": 2,
                "withinDays": 30,
                "where": [{"property": "revenue", "op": "gte", "value": 50}],
            },
            {"ann"},
        ),
        (
            {
                "performed": "Order Completed",
                "where": [{"property": "revenue", "op": "between", "value": [100, 200]}],
            },
            {"ann", "bob"},
        ),
        ({"notPerformed": "Order Completed", "withinDays": 90}, {"bob", "cat", "eve"}),
        ({"lastPerformed": "Signed In", "withinDays": 7}, {"ann"}),
        ({"firstPerformed": "Order Completed", "before": "2026-01-01"}, {"bob"}),
        (
            {
                "any": [
                    {"trait": "vip", "op": "eq", "value": True},
                    {"attribute": "city", "op": "eq", "value": "Bergen"},
                ]
            },
            {"ann", "bob"},
        ),
        ({"near": {"trait": "vip", "op": "eq", "value": True}, "hops": 1}, {"bob", "cat"}),
        ({"near": {"trait": "vip", "op": "eq", "value": True}, "hops": 2}, {"bob", "cat", "eve"}),
    ],
)
async def test_each_condition_selects_the_right_customers(
    driver: AsyncDriver, tag: str, rule: dict[str, Any], members: set[str]
) -> None:
    assert await _who(SegmentRepository(driver, "neo4j"), tag, rule) == members


async def test_memberships_follow_versions_and_feed_graph_native_conditions(
    driver: AsyncDriver, tag: str
) -> None:
    repo = SegmentRepository(driver, "neo4j")
    ids = [tag + p for p in PEOPLE]
    buyers = {"rule": {"performed": "Order Completed", "atLeast": 2, "withinDays": 30}}
    saved = await repo.save(f"Buyers {tag}", buyers, "test")
    changed = await refresh(repo, saved.segment_id, parse(buyers), NOW, ids)
    assert {c.removeprefix(tag) for c in changed.entered} == {"ann", "dan"}
    again = await refresh(repo, saved.segment_id, parse(buyers), NOW, ids)
    assert not again  # idempotent
    # Graph-native: sharing a device or a household with a buyer, and membership itself.
    assert await _who(repo, tag, {"sharesWith": "device", "segment": saved.segment_id}) == {"bob"}
    assert await _who(repo, tag, {"sharesWith": "household", "segment": saved.segment_id}) == {
        "cat"
    }
    assert await _who(repo, tag, {"inSegment": saved.segment_id}) == {"ann", "dan"}
    # A new version: big orders only. Dan leaves, and the history says so.
    big = {"rule": {"performed": "Order Completed", "atLeast": 2, "withinDays": 30,
                    "where": [{"property": "revenue", "op": "gte", "value": 50}]}}  # fmt: skip
    v2 = await repo.save(saved.name, big, "test", saved.segment_id)
    assert v2.version == 2
    changed = await refresh(repo, saved.segment_id, parse(big), NOW, ids)
    assert changed.entered == ()
    assert changed.exited == (tag + "dan",)
    [stored] = await repo.segments([saved.segment_id])
    assert stored.members == 1
    assert stored.definition == big
    of = await repo.segments_of([tag + "ann", tag + "dan"])
    assert [s["segment_id"] for s in of[tag + "ann"]] == [saved.segment_id]
    assert of[tag + "dan"] == []
    history, _, _ = await driver.execute_query(
        "MATCH (m:MembershipChange {segment_id: $s}) RETURN m.customer_id AS c, m.kind AS k, "
        "m.version AS v ORDER BY m.at, m.kind", s=saved.segment_id,
    )  # fmt: skip
    assert sorted((r["c"].removeprefix(tag), r["k"], r["v"]) for r in history) == [
        ("ann", "enter", 1), ("dan", "enter", 1), ("dan", "exit", 2),
    ]  # fmt: skip
    # Why: each condition's answer for a customer, and the verdict.
    from segments.jobs import why

    answer = await why(repo, parse(big), tag + "dan", NOW)
    assert answer is not None
    assert answer.holds is False
    assert [(p, h) for p, _, h in answer.leaves] == [("rule", False)]
    oslo_not_vip = [{"attribute": "city", "op": "eq", "value": "Oslo"},
                    {"not": {"trait": "vip", "op": "eq", "value": True}}]  # fmt: skip
    two = parse({"rule": {"all": oslo_not_vip}})
    cat = await why(repo, two, tag + "cat", NOW)
    ann = await why(repo, two, tag + "ann", NOW)
    assert cat is not None
    assert ann is not None
    assert (cat.holds, [h for *_, h in cat.leaves]) == (True, [True, False])
    assert (ann.holds, [h for *_, h in ann.leaves]) == (False, [True, True])
    assert await why(repo, two, tag + "nobody", NOW) is None
    # Overlap with a second segment, and the history of enters and exits by day.
    oslo = await repo.save(f"Oslo {tag}", {"rule": {"attribute": "city", "op": "eq",
                                                    "value": "Oslo"}}, "test")  # fmt: skip
    await refresh(repo, oslo.segment_id, parse({"rule": {"attribute": "city", "op": "eq",
                                                         "value": "Oslo"}}), NOW, ids)  # fmt: skip
    assert await repo.overlap([saved.segment_id, oslo.segment_id]) == (2, 1)  # ann; ann + cat
    days = await repo.history(saved.segment_id, "2000-01-01")
    assert sum(d["entered"] for d in days) == 2
    assert sum(d["exited"] for d in days) == 1
    await repo.delete(oslo.segment_id)
    ids_page, total = await repo.members(saved.segment_id, "", 10)
    assert (ids_page, total) == ([tag + "ann"], 1)
    assert await repo.delete(saved.segment_id) == [tag + "ann"]
    assert await repo.segments([saved.segment_id]) == []
    assert await repo.delete(saved.segment_id) is None


async def test_a_preview_writes_nothing(driver: AsyncDriver, tag: str) -> None:
    repo = SegmentRepository(driver, "neo4j")
    rule = parse({"rule": {"all": [{"attribute": "city", "op": "eq", "value": "Oslo"},
                                   {"trait": "vip", "op": "exists"}]}})  # fmt: skip
    members = await preview(repo, rule, NOW)
    assert tag + "ann" in members
    assert tag + "cat" not in members
