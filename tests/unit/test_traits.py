"""Computed traits: each function, windows, exact combination, configuration."""

from __future__ import annotations

import json
import random
from datetime import date
from pathlib import Path

import pytest

from graph.model import EventData, ExistingCustomer, Identifier, Observation
from ingest.planning import plan_batch
from traits.computed import (
    DEFAULT_TRAITS,
    EventFact,
    Trait,
    TraitError,
    combine,
    dumps,
    evaluate,
    load_traits,
    update,
)

pytestmark = pytest.mark.unit

TODAY = date(2026, 3, 31)


def _ev(n: int, name: str, day: str, **props: object) -> EventFact:
    return EventFact(f"e{n}", name, f"{day}T12:00:{n % 60:02d}.000Z", props)


EVENTS = [
    _ev(1, "Order Completed", "2026-01-10", revenue=20, category="books"),
    _ev(2, "Order Completed", "2026-03-05", revenue="12.5", category="games"),
    _ev(3, "Order Completed", "2026-03-30", revenue=7, category="games", coupon=True),
    _ev(4, "Product Viewed", "2026-03-30", category="books"),
    _ev(5, "Product Viewed", "2026-03-31", category="books"),
    _ev(6, "Order Completed", "2026-03-31", revenue="n/a"),
]


@pytest.mark.parametrize(
    ("trait", "value"),
    [
        (Trait("n", "count"), 6),
        (Trait("n", "count", event="Order Completed", window_days=30), 3),
        (Trait("n", "count", event="Order Completed", window_days=1), 1),
        (Trait("n", "count", event="Order Completed", where={"coupon": True}), 1),
        (Trait("n", "sum", event="Order Completed", property="revenue"), 39.5),
        (Trait("n", "sum", event="Order Completed", property="revenue", window_days=7), 7),
        (Trait("n", "min", event="Order Completed", property="revenue"), 7),
        (Trait("n", "max", event="Order Completed", property="revenue"), "n/a"),
        (Trait("n", "first", event="Order Completed"), "2026-01-10T12:00:01.000Z"),
        (Trait("n", "last", property="category"), "books"),
        (Trait("n", "last", event="Order Completed", property="category"), "games"),  # known
        (Trait("n", "most_frequent", property="category"), "books"),
        (Trait("n", "most_frequent", property="category", window_days=30), "books"),  # newer tie
        (Trait("n", "most_frequent", event="Order Completed", property="category"), "games"),
        (
            Trait(
                "n", "most_frequent", event="Order Completed", property="category", window_days=1
            ),
            None,
        ),
        (Trait("n", "unique_count", property="category"), 2),
        (Trait("n", "count", event="Signed Up"), 0),
        (Trait("n", "max", event="Signed Up", property="x"), None),
    ],
)
def test_each_function(trait: Trait, value: object) -> None:
    values, _ = evaluate(update({}, [trait], EVENTS), [trait], TODAY)
    assert values.values["n"] == value


def test_a_window_drops_old_days_and_says_when_it_next_changes() -> None:
    trait = Trait("orders_30d", "count", event="Order Completed", window_days=30)
    values, kept = evaluate(update({}, [trait], EVENTS), [trait], TODAY)
    assert values.values["orders_30d"] == 3
    assert sorted(kept["orders_30d"]) == ["2026-03-05", "2026-03-30", "2026-03-31"]
    assert values.expires == "2026-04-04"  # 2026-03-05 leaves the window then
    later, _ = evaluate(kept, [trait], date(2026, 4, 4))
    assert later.values["orders_30d"] == 2
    alltime, _ = evaluate(update({}, [Trait("n", "count")], EVENTS), [Trait("n", "count")], TODAY)
    assert alltime.expires is None


def test_states_combine_exactly_whatever_the_split_of_events() -> None:
    traits = [
        Trait("a", "count", window_days=40), Trait("b", "sum", property="revenue"),
        Trait("c", "min", property="revenue"), Trait("d", "max", property="category"),
        Trait("e", "first", property="category"), Trait("f", "last"),
        Trait("g", "most_frequent", property="category"),
        Trait("h", "unique_count", property="category"),
    ]  # fmt: skip
    rng = random.Random(5)
    events = [
        _ev(n, rng.choice(["A", "B"]), f"2026-03-{rng.randint(1, 31):02d}",
            revenue=rng.choice([1, 2.5, "3", None]), category=rng.choice(["x", "y", "z"]))
        for n in range(200)
    ]  # fmt: skip
    whole = update({}, traits, events)
    parts = [update({}, traits, events[i::3]) for i in range(3)]
    assert dumps(combine(*parts)) == dumps(whole)
    assert evaluate(combine(*parts), traits, TODAY) == evaluate(whole, traits, TODAY)
    stepwise = {}
    for i in range(0, 200, 17):
        stepwise = update(stepwise, traits, events[i : i + 17])
    assert dumps(stepwise) == dumps(whole)


def test_the_planner_updates_traits_of_customers_with_events_and_combines_merges() -> None:
    user = Identifier.of("user_id", "u1")
    email = Identifier.of("email", "a@x.co")
    order = EventData("track", "Order Completed", json.dumps({"revenue": 10}))
    batch = [
        Observation("e1", "web", "t", "2026-03-30T10:00:00.000Z", (user,), kind="track",
                    event=order, always_record=False),
        Observation("r1", "crm", "t", "2026-03-30T11:00:00.000Z", (user, email)),
    ]  # fmt: skip
    old_state = dumps(update({}, DEFAULT_TRAITS, [_ev(9, "Order Completed", "2026-01-01",
                                                      revenue=5)]))  # fmt: skip
    existing = {
        "user_id:u1": [ExistingCustomer("cus_u", "1")],
        "email:a@x.co": [ExistingCustomer("cus_e", "2", trait_state=old_state)],
    }
    holdings = {"cus_u": [user], "cus_e": [email]}
    plan = plan_batch(batch, existing, holdings)
    (placed,) = plan.assignments
    assert (placed.customer_id, placed.merged) == ("cus_u", ("cus_e",))
    values = plan.traits["cus_u"].values
    assert values["event_count"] == 2
    assert values["revenue_total"] == 15
    assert values["last_order_at"] == "2026-03-30T10:00:00.000Z"


def test_definitions_load_from_yaml_and_errors_name_the_key(tmp_path: Path) -> None:
    path = tmp_path / "traits.yaml"
    path.write_text(
        "traits:\n  big_orders:\n    function: count\n    event: Order Completed\n"
        "    where: {tier: gold}\n    window_days: 7\n"
    )
    (trait,) = load_traits(path)
    assert trait == Trait("big_orders", "count", "Order Completed", None, {"tier": "gold"}, 7)
    assert load_traits(None) == DEFAULT_TRAITS
    for text, key in [
        ("traits:\n  Email: {function: count}\n", "traits.Email"),
        ("traits:\n  email: {function: count}\n", "traits.email"),
        ("traits:\n  churn_risk: {function: count}\n", "traits.churn_risk"),
        ("traits:\n  expected_purchases_30d: {function: count}\n", "traits.expected_purchases_30d"),
        ("traits:\n  x: {function: median}\n", "traits.x.function"),
        ("traits:\n  x: {function: sum}\n", "traits.x.property"),
        ("traits:\n  x: {function: count, window_days: 0}\n", "traits.x.window_days"),
        ("traits:\n  x: {function: count, colour: 1}\n", "traits.x.colour"),
        ("traits:\n  x: {function: count, where: [1]}\n", "traits.x.where"),
    ]:
        path.write_text(text)
        with pytest.raises(TraitError, match=rf"^{key}"):
            load_traits(path)
