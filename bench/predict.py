"""``graphcdp bench predict --json``: the predictive models' fit, on CDNOW and at scale.

No servers. Two parts:

- **cdnow**: BG/NBD and Gamma-Gamma fitted on the CDNOW summary shipped in ``lifetimes``,
  beside the published parameters (traits/cdnow.py, the same as
  ``graphcdp predict --validate-cdnow``);
- **synthetic**: ``--customers`` purchase histories drawn from a BG/NBD process with known
  parameters (rate ~ Gamma(r, alpha), dropout after each purchase ~ Beta(a, b), ages uniform
  over 1-730 days, spend ~ Gamma-Gamma): the parameters recovered beside the true ones, and
  the seconds to fit and to score every customer.
"""

from __future__ import annotations

import json
import time
from datetime import date
from typing import Any

import numpy as np

from traits.btyd import BetaGeo, GammaGamma
from traits.cdnow import validate
from traits.predictive import PredictOptions, Summary, fit, score

TRUE_BGNBD = BetaGeo(r=0.8, alpha=60.0, a=0.9, b=3.0)  # days: about one purchase in 75 days
TRUE_GAMMA_GAMMA = GammaGamma(p=6.0, q=4.0, v=50.0)


def simulate(customers: int, seed: int) -> list[Summary]:
    """RFM summaries in days of customers drawn from TRUE_BGNBD and TRUE_GAMMA_GAMMA."""
    rng = np.random.default_rng(seed)
    m, g = TRUE_BGNBD, TRUE_GAMMA_GAMMA
    rates = rng.gamma(m.r, 1 / m.alpha, customers)
    dropouts = rng.beta(m.a, m.b, customers)
    ages = rng.integers(1, 731, customers).astype(float)
    nus = rng.gamma(g.q, 1 / g.v, customers)  # each customer's spend scale
    out = []
    for rate, drop, age, nu in zip(rates, dropouts, ages, nus, strict=True):
        t, last, x = 0.0, 0.0, 0
        while True:
            t += rng.exponential(1 / rate)
            if t > age:
                break
            x, last = x + 1, t
            if rng.random() < drop:
                break
        spends = rng.gamma(g.p, 1 / nu, x) if x else np.zeros(0)
        first = float(rng.gamma(g.p, 1 / nu))
        # whole days, as the summaries from events are
        out.append(Summary(x, float(np.floor(last)), age, float(spends.mean()) if x else 0.0,
                           first))  # fmt: skip
    return out


def run(customers: int, seed: int) -> dict[str, Any]:
    summaries = simulate(customers, seed)
    as_of = date(2026, 11, 27)
    started = time.monotonic()
    model = fit(summaries, as_of, PredictOptions())
    fitted = time.monotonic()
    values = score(model, summaries)
    scored = time.monotonic()
    risk = np.array([float(v["churn_risk"] or 0) for v in values])
    return {
        "cdnow": validate(),
        "synthetic": {
            "customers": customers,
            "repeat_customers": sum(1 for s in summaries if s.frequency),
            "bgnbd": _beside(vars(model.bgnbd), vars(TRUE_BGNBD)),
            "gamma_gamma": _beside(
                vars(model.gamma_gamma) if model.gamma_gamma else {}, vars(TRUE_GAMMA_GAMMA)
            ),
            "fit_seconds": round(fitted - started, 3),
            "score_seconds": round(scored - fitted, 3),
            "churn_risk_mean": round(float(risk.mean()), 4),
        },
    }


def _beside(fitted: dict[str, float], true: dict[str, float]) -> dict[str, Any]:
    return {
        k: {"fitted": round(fitted[k], 4) if k in fitted else None, "true": v}
        for k, v in true.items()
    }


def main(customers: int, seed: int) -> int:
    print(json.dumps(run(customers, seed), indent=2))
    return 0
