"""Predictive traits in the real graph: purchases read in pages, traits written with the model
version; only the customers of this test are fitted and scored (random ids)."""

from __future__ import annotations

import functools
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from neo4j import AsyncDriver

from graph.model import EventData, Identifier, Observation, iso_utc, now_iso
from graph.repository import IdentityRepository, PredictionRepository
from ingest.planning import plan_batch
from traits.computed import DEFAULT_TRAITS
from traits.predict_job import AS_OF, VERSION, predict
from traits.predictive import PredictOptions

pytestmark = pytest.mark.integration

# Days ago of each customer's orders: repeat buyers, some lapsed, one-time buyers.
HISTORIES = {
    "recent": [200, 150, 100, 50, 5],
    "lapsed": [200, 190, 180, 170, 160],
    "steady": [180, 120, 60, 2],
    "gone": [300, 290, 280],
    "twice": [90, 30],
    "once": [150],
    "new": [3],
    "viewer": [],  # no purchase at all: not scored
}


def _event(
    event_id: str, user: Identifier, days_ago: int, name: str, revenue: float
) -> Observation:
    ts = iso_utc(datetime.now(UTC) - timedelta(days=days_ago, hours=1))
    data = EventData("track", name, json.dumps({"revenue": revenue}))
    return Observation(event_id, "web", ts, ts, (user,), kind="track", event=data,
                       always_record=False)  # fmt: skip


async def test_predict_writes_versioned_traits_and_ranks_churn_risk(driver: AsyncDriver) -> None:
    tag = uuid.uuid4().hex[:10]
    repo = IdentityRepository(driver, "neo4j")
    planner = functools.partial(plan_batch, traits=DEFAULT_TRAITS)
    ids: dict[str, str] = {}
    for who, days in HISTORIES.items():
        user = Identifier.of("user_id", f"pr-{who}-{tag}")
        batch = [_event(f"{tag}-{who}-{i}", user, d, "Order Completed", 20.0 + 5 * i)
                 for i, d in enumerate(days)]  # fmt: skip
        batch.append(_event(f"{tag}-{who}-view", user, 1, "Product Viewed", 0.0))
        result = await repo.apply(batch, planner)
        ids[who] = next(iter(set(result.events.values())))
    store = PredictionRepository(driver, "neo4j")
    as_of = datetime.now(UTC).date()
    report = await predict(store, as_of=as_of, options=PredictOptions(horizon_days=90),
                           ids=list(ids.values()), page=3, now=now_iso())  # fmt: skip
    assert report.customers == len(HISTORIES) - 1
    records, _, _ = await driver.execute_query(
        "UNWIND $ids AS id MATCH (c:Customer {customer_id: id}) "
        "RETURN id, c {.churn_risk, .expected_purchases_90d, .predicted_clv, "
        ".predictive_model_version, .predictive_as_of, .predicted_at} AS t",
        ids=list(ids.values()),
    )
    traits = {r["id"]: dict(r["t"]) for r in records}
    by_name = {who: traits[cid] for who, cid in ids.items()}
    assert by_name["viewer"]["predictive_model_version"] is None  # no purchase: not scored
    for who in set(HISTORIES) - {"viewer"}:
        row = by_name[who]
        assert row[VERSION] == report.model.version, who
        assert row[AS_OF] == as_of.isoformat()
        assert 0 <= row["churn_risk"] <= 1
        assert row["predicted_clv"] >= 0
    assert by_name["recent"]["churn_risk"] < by_name["lapsed"]["churn_risk"]
    assert by_name["steady"]["churn_risk"] < by_name["gone"]["churn_risk"]
    assert by_name["recent"]["predicted_clv"] > by_name["lapsed"]["predicted_clv"]
    assert by_name["new"]["expected_purchases_90d"] > by_name["once"]["expected_purchases_90d"]
    # Run again on the same data and date: the same model version (a hash of the parameters).
    again = await predict(store, as_of=as_of, options=PredictOptions(horizon_days=90),
                          ids=list(ids.values()), now=now_iso())  # fmt: skip
    assert again.model.version == report.model.version
