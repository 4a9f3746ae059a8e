"""BG/NBD and Gamma-Gamma ("buy till you die") models: maximum likelihood fits and predictions.

Pure numerical logic over arrays (numpy and scipy only). The formulas are those of
Fader, Hardie and Lee (2005), "Counting your customers the easy way: an alternative to the
Pareto/NBD model" (BG/NBD), and Fader and Hardie (2013), "The Gamma-Gamma model of monetary
value". Per customer, with time in any unit (days here, weeks in CDNOW):

- ``x``: repeat purchases (purchase days after the first one),
- ``t_x``: time from the first purchase to the last one (recency),
- ``T``: time from the first purchase to the as-of date (the customer's age),
- ``m``: the mean value of the repeat purchases (Gamma-Gamma only, customers with x > 0).

The fits maximise the log-likelihood over log-parameters with L-BFGS-B, time rescaled so the
oldest customer is 10 units old (as the ``lifetimes`` package does); on CDNOW they reproduce
the published parameters (see traits/cdnow.py). ``lifetimes`` itself is not used: its
predictions fail with pandas 3.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.optimize import minimize
from scipy.special import betaln, gammaln, hyp2f1

Array = npt.NDArray[np.float64]


class FitError(ValueError):
    """The data cannot be fitted (too few customers, no repeat purchase, no convergence)."""


@dataclass(frozen=True)
class BetaGeo:
    """BG/NBD parameters: purchase rate ~ Gamma(r, alpha), dropout probability ~ Beta(a, b)."""

    r: float
    alpha: float
    a: float
    b: float


@dataclass(frozen=True)
class GammaGamma:
    """Gamma-Gamma parameters of spend per transaction: p, q and v (gamma in the note)."""

    p: float
    q: float
    v: float


def _floats(*values: npt.ArrayLike) -> list[Array]:
    return [np.asarray(v, dtype=np.float64) for v in values]


def bgnbd_log_likelihood(params: BetaGeo, x: Array, t_x: Array, T: Array) -> Array:
    """Each customer's log-likelihood (FHL 2005, equation 6)."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = betaln(a, b + x) - betaln(a, b)
    a3 = -(r + x) * np.log(alpha + T)
    repeat = x > 0
    safe_b = np.where(repeat, b + x - 1, 1.0)
    a4 = np.where(repeat, np.log(a) - np.log(safe_b) - (r + x) * np.log(alpha + t_x), -np.inf)
    out: Array = a1 + a2 + np.logaddexp(a3, a4)
    return out


def fit_bgnbd(
    x: npt.ArrayLike, t_x: npt.ArrayLike, T: npt.ArrayLike, penalizer: float = 0.0
) -> BetaGeo:
    """Maximum likelihood BG/NBD parameters.

    ``penalizer`` adds ``penalizer * sum(params**2)`` to the negative mean log-likelihood (as
    ``lifetimes`` does) to keep a fit on a handful of customers finite; 0 is the plain MLE.

    Raises:
        FitError: fewer than two customers, no repeat purchase, or no convergence.
    """
    xs, ts, Ts = _floats(x, t_x, T)
    if xs.size < 2 or not (xs > 0).any():
        raise FitError("BG/NBD needs two customers at least, one with a repeat purchase")
    if (ts > Ts).any() or (ts < 0).any() or (xs < 0).any():
        raise FitError("BG/NBD needs 0 <= recency <= T and frequency >= 0")
    scale = 10.0 / float(Ts.max()) if Ts.max() > 0 else 1.0
    # Customers with the same (x, t_x, T) count once, weighted: whole days repeat a lot.
    rows, counts = np.unique(np.stack([xs, ts * scale, Ts * scale], axis=1), axis=0,
                             return_counts=True)  # fmt: skip
    weights = counts / counts.sum()
    ux, ut, uT = rows[:, 0], rows[:, 1], rows[:, 2]

    def loss(logp: Array) -> float:
        r, alpha, a, b = np.exp(logp)
        ll = bgnbd_log_likelihood(BetaGeo(r, alpha, a, b), ux, ut, uT)
        return float(-(ll * weights).sum() + penalizer * float(np.sum(np.exp(logp) ** 2)))

    logp = _minimise(loss, np.zeros(4))
    r, alpha, a, b = np.exp(logp)
    return BetaGeo(float(r), float(alpha / scale), float(a), float(b))


def p_alive(params: BetaGeo, x: npt.ArrayLike, t_x: npt.ArrayLike, T: npt.ArrayLike) -> Array:
    """P(a customer is still active | x, t_x, T) (FHL 2005, equation 11). Under BG/NBD a
    customer can only drop out right after a purchase, so with x = 0 it is 1."""
    xs, ts, Ts = _floats(x, t_x, T)
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    repeat = xs > 0
    safe_b = np.where(repeat, b + xs - 1, 1.0)
    odds = np.where(repeat, a / safe_b * np.exp((r + xs) * np.log((alpha + Ts) / (alpha + ts))), 0)
    out: Array = 1.0 / (1.0 + odds)
    return out


def expected_purchases(
    params: BetaGeo, t: float, x: npt.ArrayLike, t_x: npt.ArrayLike, T: npt.ArrayLike
) -> Array:
    """E[purchases in the next ``t`` | x, t_x, T] (FHL 2005, equation 10)."""
    xs, ts, Ts = _floats(x, t_x, T)
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    if t <= 0:
        return np.zeros_like(xs)
    head = (a + b + xs - 1) / (a - 1)
    z = t / (alpha + Ts + t)
    hyper = np.exp((r + xs) * np.log((alpha + Ts) / (alpha + Ts + t))) * hyp2f1(
        r + xs, b + xs, a + b + xs - 1, z
    )
    alive = p_alive(params, xs, ts, Ts)
    out: Array = head * (1 - hyper) * alive
    return out


def gamma_gamma_log_likelihood(params: GammaGamma, x: Array, m: Array) -> Array:
    """Each repeat customer's log-likelihood of its mean spend ``m`` over ``x`` purchases."""
    p, q, v = params.p, params.q, params.v
    out: Array = (
        gammaln(p * x + q) - gammaln(p * x) - gammaln(q) + q * np.log(v)
        + (p * x - 1) * np.log(m) + p * x * np.log(x) - (p * x + q) * np.log(v + x * m)
    )  # fmt: skip
    return out


def fit_gamma_gamma(x: npt.ArrayLike, m: npt.ArrayLike, penalizer: float = 0.0) -> GammaGamma:
    """Maximum likelihood Gamma-Gamma parameters over customers with ``x > 0`` and ``m > 0``
    (the others are left out).

    Raises:
        FitError: fewer than two such customers, or no convergence.
    """
    xs, ms = _floats(x, m)
    keep = (xs > 0) & (ms > 0)
    xs, ms = xs[keep], ms[keep]
    if xs.size < 2:
        raise FitError("Gamma-Gamma needs two customers with repeat purchases of value > 0")

    def loss(logp: Array) -> float:
        p, q, v = np.exp(logp)
        ll = gamma_gamma_log_likelihood(GammaGamma(p, q, v), xs, ms)
        return float(-ll.mean() + penalizer * float(np.sum(np.exp(logp) ** 2)))

    start = np.log([1.0, 2.0, max(float(ms.mean()), 1e-3)])
    p, q, v = np.exp(_minimise(loss, start))
    return GammaGamma(float(p), float(q), float(v))


def expected_spend(params: GammaGamma, x: npt.ArrayLike, m: npt.ArrayLike) -> Array:
    """E[spend per transaction | x, m] (the note's equation 5); with x = 0 (or q <= 1) the
    population mean p v / (q - 1) where it exists, else the customer's own mean."""
    xs, ms = _floats(x, m)
    p, q, v = params.p, params.q, params.v
    denominator = p * xs + q - 1
    safe = np.where(denominator > 0, denominator, 1.0)
    out: Array = np.where(denominator > 0, p * (v + xs * ms) / safe, ms)
    return out


def lifetime_value(
    model: BetaGeo,
    spend: npt.ArrayLike,
    x: npt.ArrayLike,
    t_x: npt.ArrayLike,
    T: npt.ArrayLike,
    horizon: float,
    period: float,
    rate: float,
) -> Array:
    """Discounted expected value over ``horizon``: for each period ``i`` ending at
    ``t_i = min(i * period, horizon)``, ``spend * (E[N(t_i)] - E[N(t_(i-1))]) / (1 + rate) **
    (t_i / period)`` (``rate`` per period). With period 4.345 weeks, horizon 12 periods and
    rate 0.01 it is ``lifetimes``' ``customer_lifetime_value(freq="W", time=12)``."""
    xs, ts, Ts, ss = _floats(x, t_x, T, spend)
    total = np.zeros_like(xs)
    before = np.zeros_like(xs)
    steps = int(np.ceil(horizon / period - 1e-9))
    for i in range(1, steps + 1):
        end = min(i * period, horizon)
        upto = expected_purchases(model, end, xs, ts, Ts)
        total += ss * (upto - before) / (1 + rate) ** (end / period)
        before = upto
    return total


def _minimise(loss: Callable[[Array], float], start: Array) -> Array:
    with np.errstate(all="ignore"):
        result = minimize(
            loss, start, method="L-BFGS-B", bounds=[(-12.0, 12.0)] * len(start),
            options={"maxiter": 2000, "ftol": 1e-13, "gtol": 1e-9},
        )  # fmt: skip
    if not np.isfinite(result.fun):
        raise FitError(f"the fit did not converge: {result.message}")
    out: Array = np.asarray(result.x, dtype=np.float64)
    return out
