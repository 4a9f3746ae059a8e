"""Predictive traits: BG/NBD and Gamma-Gamma on CDNOW against the published parameters, RFM
summaries, scoring and the predict job over a fake store."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any

import numpy as np
import pytest

from traits.btyd import (
    BetaGeo,
    FitError,
    GammaGamma,
    expected_purchases,
    expected_spend,
    fit_bgnbd,
    fit_gamma_gamma,
    lifetime_value,
    p_alive,
)
from traits.cdnow import (
    PUBLISHED_BGNBD,
    PUBLISHED_GAMMA_GAMMA,
    PUBLISHED_LOG_LIKELIHOOD,
    load_cdnow,
    validate,
)
from traits.predict_job import AS_OF, AT, VERSION, predict
from traits.predictive import (
    PredictOptions,
    Purchase,
    Summary,
    fit,
    revenue_of,
    score,
    summarise,
)

pytestmark = pytest.mark.unit

# lifetimes 0.11.3 (BetaGeoFitter, GammaGammaFitter), run once on the same file with numpy
# arrays: CDNOW customers 1, 2, 3, 18 and 1516.
CUSTOMERS = [0, 1, 2, 17, 1515]
LIFETIMES_P_ALIVE = [0.726609, 0.212227, 1.0, 0.310915, 0.968920]
LIFETIMES_E39 = [1.225910, 0.203251, 0.194781, 0.297764, 20.750570]
LIFETIMES_SPEND = [24.658616, 18.911480, 35.171002, 17.674697, 39.890277]
LIFETIMES_CLV_12M = [36.278496, 4.637466, 8.344093, 6.349622, 972.125563]


@pytest.fixture(scope="module")
def cdnow() -> dict[str, list[float]]:
    return load_cdnow()


def test_bgnbd_on_cdnow_matches_fader_hardie_lee_2005(cdnow: dict[str, list[float]]) -> None:
    fitted = fit_bgnbd(cdnow["x"], cdnow["t_x"], cdnow["T"])
    assert len(cdnow["x"]) == 2357
    for name, published in PUBLISHED_BGNBD.items():
        assert getattr(fitted, name) == pytest.approx(published, rel=0.005), name


def test_gamma_gamma_on_cdnow_matches_the_published_note(cdnow: dict[str, list[float]]) -> None:
    fitted = fit_gamma_gamma(cdnow["x"], cdnow["zbar"])
    for name, published in PUBLISHED_GAMMA_GAMMA.items():
        assert getattr(fitted, name) == pytest.approx(published, rel=0.005), name


def test_validation_report_puts_ours_beside_the_published() -> None:
    report = validate()
    assert report["data"] == {"customers": 2357, "repeat_customers": 946, "time_unit": "weeks"}
    assert report["bgnbd_log_likelihood"]["fitted"] == pytest.approx(PUBLISHED_LOG_LIKELIHOOD)
    example = report["expected_purchases_39w_x2"]
    assert example["fitted"] == pytest.approx(example["published"], abs=0.001)


def test_predictions_agree_with_lifetimes(cdnow: dict[str, list[float]]) -> None:
    model = fit_bgnbd(cdnow["x"], cdnow["t_x"], cdnow["T"])
    spend_model = fit_gamma_gamma(cdnow["x"], cdnow["zbar"])
    x, t_x, T, m = ([cdnow[k][i] for i in CUSTOMERS] for k in ("x", "t_x", "T", "zbar"))
    assert p_alive(model, x, t_x, T) == pytest.approx(LIFETIMES_P_ALIVE, abs=1e-4)
    assert expected_purchases(model, 39, x, t_x, T) == pytest.approx(LIFETIMES_E39, rel=1e-4)
    spend = expected_spend(spend_model, x, m)
    assert spend == pytest.approx(LIFETIMES_SPEND, rel=1e-4)
    clv = lifetime_value(model, spend, x, t_x, T, 12 * 4.345, 4.345, 0.01)
    assert clv == pytest.approx(LIFETIMES_CLV_12M, rel=1e-4)


def test_p_alive_falls_with_time_since_the_last_purchase() -> None:
    model = BetaGeo(0.24, 4.4, 0.79, 2.4)
    recent, lapsed = p_alive(model, [3, 3], [35.0, 5.0], [38.0, 38.0])
    assert recent > lapsed
    assert p_alive(model, [0], [0.0], [38.0])[0] == 1.0  # BG/NBD: no dropout before a repeat
    assert expected_purchases(model, 0, [2], [1.0], [2.0])[0] == 0


@pytest.mark.parametrize(
    ("x", "t_x", "T"),
    [
        ([0, 0, 0], [0, 0, 0], [5, 6, 7]),  # no repeat purchase
        ([1], [1], [2]),  # one customer
        ([2, 1], [5, 1], [4, 3]),  # recency after T
    ],
)
def test_bgnbd_refuses_data_it_cannot_fit(x: list[int], t_x: list[int], T: list[int]) -> None:
    with pytest.raises(FitError):
        fit_bgnbd(x, t_x, T)


def test_gamma_gamma_needs_two_repeat_customers_with_revenue() -> None:
    with pytest.raises(FitError):
        fit_gamma_gamma([1, 0, 2], [0.0, 5.0, 0.0])
    spend = expected_spend(GammaGamma(6.25, 3.74, 15.44), [0], [0.0])[0]
    assert spend == pytest.approx(6.25 * 15.44 / 2.74)  # x = 0: the population mean


def _p(day: str, revenue: float | None) -> Purchase:
    return Purchase(f"{day}T10:00:00.000Z", revenue)


def test_summary_counts_purchase_days_in_days_as_of_a_date() -> None:
    purchases = [
        _p("2026-01-01", 10.0), _p("2026-01-01", 5.0),  # one day: one transaction of 15
        _p("2026-01-11", 20.0), _p("2026-01-21", None), _p("2026-01-31", 40.0),
        _p("2026-03-01", 99.0),  # after the as-of date
    ]  # fmt: skip
    summary = summarise(purchases, date(2026, 2, 10))
    assert summary == Summary(3, 30.0, 40.0, 30.0, 15.0)  # monetary: mean of 20 and 40
    assert summarise(purchases, date(2025, 12, 31)) is None
    assert summarise([_p("2026-01-01", None)], date(2026, 1, 1)) == Summary(0, 0, 0, 0, None)


@pytest.mark.parametrize(
    ("properties", "expected"),
    [({"revenue": 12.5}, 12.5), ({"revenue": "7"}, 7.0), ({"revenue": True}, None),
     ({"revenue": "n/a"}, None), ({"revenue": float("nan")}, None), ({}, None),
     ({"revenue": [1]}, None)],
)  # fmt: skip
def test_revenue_is_a_finite_number(properties: dict[str, Any], expected: float | None) -> None:
    assert revenue_of(properties, "revenue") == expected


def _population(as_of: date, customers: int = 60) -> list[Summary]:
    rng = np.random.default_rng(5)
    out = []
    for _ in range(customers):
        T = float(rng.integers(30, 400))
        x = int(rng.poisson(3))
        t_x = float(rng.uniform(0, T)) if x else 0.0
        out.append(Summary(x, round(t_x), T, float(rng.gamma(4, 10)) if x else 0.0, 25.0))
    return out


def test_fit_and_score_give_bounded_traits_and_a_stable_version() -> None:
    as_of = date(2026, 11, 1)
    population = _population(as_of)
    options = PredictOptions(horizon_days=90)
    model = fit(population, as_of, options)
    assert model.version == fit(population, as_of, options).version
    assert model.version.startswith("btyd-")
    assert model.version != fit(population, as_of, PredictOptions(horizon_days=30)).version
    values = score(model, population)
    assert len(values) == len(population)
    for row in values:
        assert set(row) == {"churn_risk", "expected_purchases_90d", "predicted_clv"}
        assert 0 <= float(row["churn_risk"] or 0) <= 1
        assert float(row["expected_purchases_90d"] or 0) >= 0
        assert float(row["predicted_clv"] or 0) >= 0
    assert score(model, []) == []


def test_scores_without_gamma_gamma_use_the_observed_spend() -> None:
    as_of = date(2026, 11, 1)
    population = [Summary(2, 50, 100, 0.0, 30.0), Summary(0, 0, 80, 0.0, 30.0),
                  Summary(1, 10, 90, 0.0, None)]  # fmt: skip
    model = fit(population, as_of, PredictOptions(penalizer=0.01))
    assert model.gamma_gamma is None  # no repeat revenue
    clv = [row["predicted_clv"] for row in score(model, population)]
    assert clv[0] > 0  # the first purchase's revenue
    assert clv[1] > 0
    assert clv[2] == 0  # no revenue at all


class FakeStore:
    """The PurchaseStore port over a dict of customer id -> [(timestamp, properties JSON)]."""

    def __init__(self, history: dict[str, list[tuple[str, str | None]]]) -> None:
        self.history = history
        self.written: dict[str, dict[str, Any]] = {}
        self.reads = 0

    async def purchases(
        self, event: str, until: str, after: str, limit: int, ids: Sequence[str] | None
    ) -> list[tuple[str, list[tuple[str, str | None]]]]:
        self.reads += 1
        chosen = sorted(c for c in self.history if c > after and (ids is None or c in ids))
        page = []
        for c in chosen:
            events = [(ts, p) for ts, p in self.history[c] if ts < until]
            if events:
                page.append((c, events))
        return page[:limit]

    async def write(self, rows: Sequence[Mapping[str, Any]]) -> None:
        for row in rows:
            self.written[row["customer_id"]] = dict(row["values"])


def _history(
    as_of: date, days_ago: Sequence[int], revenue: float = 20.0
) -> list[tuple[str, str | None]]:
    return [((as_of - timedelta(days=d)).isoformat() + "T12:00:00.000Z",
             json.dumps({"revenue": revenue})) for d in days_ago]  # fmt: skip


async def test_predict_job_pages_fits_and_writes_versioned_traits() -> None:
    as_of = date(2026, 11, 1)
    history = {
        f"c{i:03d}": _history(as_of, [300 - i, 200 - i, 100 - (i % 90)] if i % 3 else [250])
        for i in range(40)
    }
    history["recent"] = _history(as_of, [200, 150, 100, 50, 5])
    history["lapsed"] = _history(as_of, [200, 190, 180, 170, 160])
    history["future"] = _history(as_of, [-3])  # only after the as-of date: not scored
    store = FakeStore(history)
    report = await predict(store, as_of=as_of, options=PredictOptions(horizon_days=180),
                           page=7, now="2026-11-01T00:00:00.000Z")  # fmt: skip
    assert report.customers == 42 == len(store.written)
    assert store.reads == 7  # 42 customers in pages of 7, and the short last page
    recent, lapsed = store.written["recent"], store.written["lapsed"]
    assert recent["churn_risk"] < lapsed["churn_risk"]
    assert recent["expected_purchases_180d"] > lapsed["expected_purchases_180d"]
    assert recent[VERSION] == report.model.version
    assert recent[AS_OF] == "2026-11-01"
    assert recent[AT] == "2026-11-01T00:00:00.000Z"
    summary = report.as_dict()
    assert summary["customers_scored"] == 42
    assert set(summary["bgnbd"]) == {"r", "alpha", "a", "b"}
    assert "expected_purchases_180d" in summary["traits"]


async def test_predict_job_on_chosen_customers_only() -> None:
    as_of = date(2026, 11, 1)
    history = {
        "a": _history(as_of, [100, 50, 10]),
        "b": _history(as_of, [120, 110]),
        "c": _history(as_of, [90]),
        "other": _history(as_of, [30, 20]),
    }
    store = FakeStore(history)
    report = await predict(store, as_of=as_of, options=PredictOptions(penalizer=0.01),
                           ids=["a", "b", "c"], now="t")  # fmt: skip
    assert report.customers == 3
    assert set(store.written) == {"a", "b", "c"}


def test_settings_name_the_predicted_traits_after_the_computed_ones() -> None:
    from graphcdp.settings import Settings, SettingsError

    settings = Settings.from_env({"GRAPHCDP_PREDICT_HORIZON_DAYS": "90"})
    assert settings.predicted_trait_names() == (
        "churn_risk", "expected_purchases_90d", "predicted_clv", "predictive_model_version",
        "predictive_as_of", "predicted_at",
    )  # fmt: skip
    computed = tuple(t.name for t in settings.trait_definitions())
    assert settings.trait_names() == computed + settings.predicted_trait_names()
    assert (settings.predict_event, settings.predict_revenue) == ("Order Completed", "revenue")
    with pytest.raises(SettingsError, match="GRAPHCDP_PREDICT_HORIZON_DAYS"):
        Settings.from_env({"GRAPHCDP_PREDICT_HORIZON_DAYS": "0"})
