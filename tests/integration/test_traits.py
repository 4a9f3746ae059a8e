"""Computed traits in the real graph: kept by the worker's planner, refreshed, rebuilt."""

from __future__ import annotations

import functools
import json
import uuid
from datetime import UTC, date, datetime, timedelta

from neo4j import AsyncDriver

from graph.model import EventData, Identifier, Observation, iso_utc
from graph.repository import IdentityRepository, TraitRepository
from ingest.planning import plan_batch
from traits.computed import DEFAULT_TRAITS, today
from traits.jobs import recompute, refresh_due


def _order(event_id: str, user: Identifier, days_ago: int, revenue: float) -> Observation:
    ts = iso_utc(datetime.now(UTC) - timedelta(days=days_ago))
    order = EventData("track", "Order Completed", json.dumps({"revenue": revenue}))
    return Observation(event_id, "web", ts, ts, (user,), kind="track", event=order,
                       always_record=False)  # fmt: skip


async def _traits(driver: AsyncDriver, user: Identifier) -> dict[str, object]:
    records, _, _ = await driver.execute_query(
        "MATCH (:Identifier {key: $key})<-[:HAS_IDENTIFIER]-(:Record)-[:BELONGS_TO]->(c) "
        "RETURN c {.customer_id, .event_count, .orders_30d, .revenue_total, .traits_expire_at} "
        "AS c",
        key=user.key,
    )
    return dict(records[0]["c"])


async def test_traits_follow_batches_expire_with_time_and_rebuild_from_events(
    driver: AsyncDriver,
) -> None:
    tag = uuid.uuid4().hex[:10]
    user = Identifier.of("user_id", f"tr-{tag}")
    repo = IdentityRepository(driver, "neo4j")
    planner = functools.partial(plan_batch, traits=DEFAULT_TRAITS)
    await repo.apply([_order(f"{tag}-1", user, 40, 10.0), _order(f"{tag}-2", user, 20, 5.5)],
                     planner)  # fmt: skip
    await repo.apply([_order(f"{tag}-3", user, 0, 4.5)], planner)
    incremental = await _traits(driver, user)
    assert (incremental["event_count"], incremental["orders_30d"]) == (3, 2)
    assert incremental["revenue_total"] == 20
    expires = str(incremental["traits_expire_at"])
    assert expires == (today() + timedelta(days=10)).isoformat()  # the 20-day-old order leaves
    # Time passes: the refresh job re-evaluates the due customer from its state alone.
    store = TraitRepository(driver, "neo4j")
    assert await refresh_due(store, DEFAULT_TRAITS, date.fromisoformat(expires)) >= 1
    later = await _traits(driver, user)
    assert later["orders_30d"] == 1
    # Rebuilt from events (as after a split), the values agree with the incremental ones.
    await recompute(store, DEFAULT_TRAITS, [str(incremental["customer_id"])])
    rebuilt = await _traits(driver, user)
    assert {k: rebuilt[k] for k in ("event_count", "orders_30d", "revenue_total")} == {
        k: incremental[k] for k in ("event_count", "orders_30d", "revenue_total")
    }
