"""Predictive traits: churn risk, expected purchases and lifetime value from purchase history.

Pure logic over plain values. Each customer's purchases (events of one name, the revenue in
one property) become an RFM summary in days as of a date; a BG/NBD model of purchase counts and
a Gamma-Gamma model of spend (traits/btyd.py) are fitted on every summarised customer and
predict, per customer:

- ``churn_risk`` = 1 - P(alive): BG/NBD lets a customer drop out only right after a purchase,
  so a customer with one purchase day has P(alive) = 1 and churn risk 0 (use
  ``expected_purchases_<N>d``, which falls as such a customer ages, to find them);
- ``expected_purchases_<N>d``: expected purchase days in the next N days (the horizon);
- ``predicted_clv``: expected revenue over the horizon, discounted per 30-day period at an
  annual rate (``(1 + annual) ** (days / 365)``), spend per purchase from Gamma-Gamma (the
  customer's observed mean of repeat purchases, else its first purchase, when Gamma-Gamma
  cannot be fitted or has no finite population mean).

Purchases on one UTC day count as one transaction of their summed revenue (as ``lifetimes``'
``summary_data_from_transaction_data`` with days does). Customers without a purchase on or
before the as-of date are not scored.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

import numpy as np

from traits.btyd import (
    Array,
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
from traits.computed import PREDICTED_PREFIX

PERIOD_DAYS = 30.0  # CLV is discounted per period of this many days
TraitValue = float | int | str | None


@dataclass(frozen=True)
class Purchase:
    timestamp: str  # ISO-8601 UTC
    revenue: float | None  # None: the purchase carries no usable revenue


@dataclass(frozen=True)
class Summary:
    """RFM summary in days: repeat purchase days, first to last, first to as-of, and the
    mean revenue of the repeat days that carry revenue (0 without any)."""

    frequency: int
    recency: float
    T: float
    monetary: float
    first_revenue: float | None  # revenue of the first purchase day (the observed-mean fallback)


@dataclass(frozen=True)
class PredictOptions:
    horizon_days: int = 365
    annual_discount: float = 0.10
    penalizer: float = 0.0  # L2 on the parameters; 0 is the plain maximum likelihood


def summarise(purchases: Iterable[Purchase], as_of: date) -> Summary | None:
    """The RFM summary of one customer's purchases up to ``as_of`` (a UTC day, inclusive), or
    None when there is none."""
    days: dict[date, float | None] = {}
    for purchase in purchases:
        day = date.fromisoformat(purchase.timestamp[:10])
        if day > as_of:
            continue
        had = days.get(day)
        value = purchase.revenue
        days[day] = value if had is None else had if value is None else had + value
    if not days:
        return None
    ordered = sorted(days)
    first, last = ordered[0], ordered[-1]
    repeat = [v for d in ordered[1:] if (v := days[d]) is not None]
    monetary = sum(repeat) / len(repeat) if repeat else 0.0
    return Summary(
        len(ordered) - 1, float((last - first).days), float((as_of - first).days), monetary,
        days[first],
    )  # fmt: skip


def revenue_of(properties: Mapping[str, Any], key: str) -> float | None:
    """A finite number from ``properties[key]`` (numbers or numeric text), else None."""
    value = properties.get(key)
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


@dataclass(frozen=True)
class Model:
    """The fitted models and what the predictions were made for."""

    bgnbd: BetaGeo
    gamma_gamma: GammaGamma | None  # None: spend is each customer's observed mean
    as_of: date
    options: PredictOptions

    @property
    def version(self) -> str:
        """``btyd-`` and a hash of the parameters, the as-of date and the options."""
        text = json.dumps(self.describe(), sort_keys=True, separators=(",", ":"))
        return "btyd-" + hashlib.sha256(text.encode()).hexdigest()[:12]

    def describe(self) -> dict[str, Any]:
        return {
            "bgnbd": {k: round(v, 6) for k, v in asdict(self.bgnbd).items()},
            "gamma_gamma": (
                {k: round(v, 6) for k, v in asdict(self.gamma_gamma).items()}
                if self.gamma_gamma else None
            ),
            "as_of": self.as_of.isoformat(),
            "horizon_days": self.options.horizon_days,
            "annual_discount": self.options.annual_discount,
        }  # fmt: skip


def expected_name(horizon_days: int) -> str:
    return f"{PREDICTED_PREFIX}{horizon_days}d"


def fit(summaries: Sequence[Summary], as_of: date, options: PredictOptions) -> Model:
    """Fit BG/NBD on every summary and Gamma-Gamma on the repeat customers with revenue.

    Raises:
        FitError: BG/NBD cannot be fitted (fewer than two customers, no repeat purchase).
    """
    x, t_x, T, m = _arrays(summaries)
    bgnbd = fit_bgnbd(x, t_x, T, options.penalizer)
    try:
        spend: GammaGamma | None = fit_gamma_gamma(x, m, options.penalizer)
    except FitError:
        spend = None
    return Model(bgnbd, spend, as_of, options)


def score(model: Model, summaries: Sequence[Summary]) -> list[dict[str, TraitValue]]:
    """The predictive trait values of each summary, in order."""
    if not summaries:
        return []
    x, t_x, T, m = _arrays(summaries)
    alive = p_alive(model.bgnbd, x, t_x, T)
    horizon = float(model.options.horizon_days)
    upcoming = expected_purchases(model.bgnbd, horizon, x, t_x, T)
    observed = np.array([s.monetary or s.first_revenue or 0.0 for s in summaries])
    spend = observed
    if (gg := model.gamma_gamma) is not None:
        known = np.where(m > 0, x, 0.0)  # no repeat revenue: the population mean p v / (q - 1)
        valid = gg.p * known + gg.q - 1 > 0
        spend = np.where(valid, expected_spend(gg, known, m), observed)
    rate = (1 + model.options.annual_discount) ** (PERIOD_DAYS / 365.0) - 1
    clv = lifetime_value(model.bgnbd, spend, x, t_x, T, horizon, PERIOD_DAYS, rate)
    name = expected_name(model.options.horizon_days)
    return [
        {
            "churn_risk": round(float(1 - a), 6),
            name: round(float(e), 6),
            "predicted_clv": round(float(v), 2),
        }
        for a, e, v in zip(alive, upcoming, clv, strict=True)
    ]


def _arrays(summaries: Sequence[Summary]) -> tuple[Array, Array, Array, Array]:
    table = np.array([(s.frequency, s.recency, s.T, s.monetary) for s in summaries], dtype=float)
    table = table.reshape(-1, 4)
    return table[:, 0], table[:, 1], table[:, 2], table[:, 3]
