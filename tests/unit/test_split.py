"""Unmerge planning (matching.split): corrections re-resolve one customer's records."""

from __future__ import annotations

import pytest

from graph.model import ClusterRecord, Correction, ExistingCustomer, Identifier, Observation
from matching.deterministic import resolve
from matching.rules import DEFAULT_RULES
from matching.split import SplitError, plan_split

pytestmark = pytest.mark.unit


def _id(key: str) -> Identifier:
    type_, value = key.split(":", 1)
    return Identifier(type_, value)  # type: ignore[arg-type]


def _rec(record_id: str, ts: str, *keys: str, **golden: str) -> ClusterRecord:
    return ClusterRecord(record_id, "crm", ts, tuple(_id(k) for k in keys), golden)


# Ann's two records and Bo's two, fused through one email that both used.
CLUSTER = [
    _rec("a1", "2026-01-01", "user_id:ann", "email:shared@x.co", first_name="Ann"),
    _rec("a2", "2026-01-02", "user_id:ann", "phone:+14155550101"),
    _rec("b1", "2026-01-03", "crm_id:C-9", "email:shared@x.co", first_name="Ann"),
    _rec("b2", "2026-01-04", "crm_id:C-9", "phone:+14155550102", first_name="Bo"),
]


def _parts(plan: object) -> list[tuple[str, ...]]:
    return sorted(p.record_ids for p in plan.parts)  # type: ignore[attr-defined]


def test_detaching_the_linking_identifier_splits_the_customer() -> None:
    detach = Correction("identifier", identifier="email:shared@x.co")
    plan = plan_split("cus_1", CLUSTER, {}, detach, DEFAULT_RULES)
    assert _parts(plan) == [("a1", "a2"), ("b1", "b2")]
    assert plan.removed_links == [("a1", "email:shared@x.co"), ("b1", "email:shared@x.co")]
    keeper = next(p for p in plan.parts if not p.new)
    assert keeper.customer_id == "cus_1"
    assert keeper.record_ids == ("a1", "a2")  # equal sizes: the older part keeps the id
    new = next(p for p in plan.parts if p.new)
    assert new.customer_id.startswith("cus_")
    assert new.customer_id != "cus_1"
    assert new.golden.values == {"first_name": "Bo"}  # b2's crm record is the newest


def test_the_part_with_most_history_keeps_the_id_and_events_follow_their_identifier() -> None:
    events = {"crm_id:C-9": 7, "user_id:ann": 2}
    plan = plan_split("cus_1", CLUSTER, events,
                      Correction("link", "b1", "email:shared@x.co"), DEFAULT_RULES)  # fmt: skip
    keeper = next(p for p in plan.parts if not p.new)
    assert keeper.record_ids == ("b1", "b2")
    assert keeper.events == 7
    new = next(p for p in plan.parts if p.new)
    assert plan.event_moves == {"user_id:ann": new.customer_id}
    assert plan.removed_links == [("b1", "email:shared@x.co")]


def test_a_detached_record_stands_alone_and_a_block_stops_the_value_joining() -> None:
    alone = plan_split("cus_1", CLUSTER, {}, Correction("record", "a2"), DEFAULT_RULES)
    assert ("a2",) in _parts(alone)
    assert alone.detached == ["a2"]
    blocked = plan_split("cus_1", CLUSTER, {}, Correction("block", identifier="email:shared@x.co"),
                         DEFAULT_RULES)  # fmt: skip
    assert _parts(blocked) == [("a1", "a2"), ("b1", "b2")]
    assert blocked.blocked == ["email:shared@x.co"]


def test_a_correction_that_leaves_the_records_connected_splits_nothing() -> None:
    plan = plan_split("cus_1", CLUSTER, {}, Correction("link", "a2", "phone:+14155550101"),
                      DEFAULT_RULES)  # fmt: skip
    assert not plan.split
    assert plan.parts[0].customer_id == "cus_1"


@pytest.mark.parametrize(
    ("correction", "message"),
    [
        (Correction("record", "zz"), "record zz does not belong to cus_1"),
        (Correction("identifier", identifier="email:no@x.co"), "holds no identifier"),
        (Correction("link", "a2", "email:shared@x.co"), "record a2 holds no identifier"),
    ],
)
def test_corrections_that_do_not_apply_are_refused(correction: Correction, message: str) -> None:
    with pytest.raises(SplitError, match=message):
        plan_split("cus_1", CLUSTER, {}, correction, DEFAULT_RULES)


def test_the_same_split_gives_the_same_new_ids() -> None:
    correction = Correction("identifier", identifier="email:shared@x.co")
    first = plan_split("cus_1", CLUSTER, {}, correction, DEFAULT_RULES)
    again = plan_split("cus_1", list(reversed(CLUSTER)), {}, correction, DEFAULT_RULES)
    assert [p.customer_id for p in first.parts] == [p.customer_id for p in again.parts]


def test_customers_kept_apart_never_merge_again_and_operator_blocks_join_nothing() -> None:
    existing = {
        "user_id:ann": [ExistingCustomer("cus_1", "1", kept_apart=frozenset({"cus_2"}))],
        "crm_id:C-9": [ExistingCustomer("cus_2", "2", kept_apart=frozenset({"cus_1"}))],
    }
    holdings = {"cus_1": [_id("user_id:ann")], "cus_2": [_id("crm_id:C-9")]}
    both = Observation("r9", "crm", "t", "t", (_id("user_id:ann"), _id("crm_id:C-9")))
    plan = resolve([both], existing, holdings)
    assert [(a.customer_id, a.merged) for a in plan.assignments] == [("cus_1", ())]
    assert [c.reason for c in plan.conflicts] == ["kept_apart"]
    one = {"email:e@x.co": [ExistingCustomer("cus_3", "3")]}
    again = Observation("r8", "crm", "t", "t", (_id("email:e@x.co"),))
    holds = {"cus_3": [_id("email:e@x.co")]}
    joined = resolve([again], one, holds, blocked_keys=frozenset({"email:e@x.co"}))
    assert joined.assignments[0].created
    assert joined.blocked == {"email:e@x.co"}
