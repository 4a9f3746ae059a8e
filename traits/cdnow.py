"""Validation of the BG/NBD and Gamma-Gamma fits on CDNOW, against the published parameters.

The data set is the CDNOW sample summary (2,357 customers, weeks, 39-week calibration period)
that ships inside the ``lifetimes`` package (``lifetimes/datasets/
cdnow_customers_summary_with_transactions.csv``: x, t_x, T, zbar). The file is read from the
installed package without importing ``lifetimes`` (whose imports need pandas).
"""

from __future__ import annotations

import csv
import importlib.util
import time
from pathlib import Path
from typing import Any

import numpy as np

from traits.btyd import bgnbd_log_likelihood, expected_purchases, fit_bgnbd, fit_gamma_gamma

FILE = "cdnow_customers_summary_with_transactions.csv"
# Fader, Hardie and Lee (2005), "Counting your customers the easy way", section 5.
PUBLISHED_BGNBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
# Fader and Hardie (2013), "The Gamma-Gamma model of monetary value" (946 repeat customers).
PUBLISHED_GAMMA_GAMMA = {"p": 6.25, "q": 3.74, "v": 15.44}
# FHL 2005: a customer with x = 2, t_x = 30.43, T = 38.86 expects 1.226 purchases in 39 weeks.
PUBLISHED_EXPECTED_39W = 1.226
PUBLISHED_LOG_LIKELIHOOD = -9582.4  # BG/NBD on CDNOW, FHL 2005


class DataMissing(FileNotFoundError):
    """The lifetimes package (the CDNOW files) is not installed."""


def cdnow_path() -> Path:
    """The CDNOW summary file inside the installed ``lifetimes`` package."""
    spec = importlib.util.find_spec("lifetimes")
    if spec is None or not spec.submodule_search_locations:
        raise DataMissing("pip install lifetimes==0.11.3 (its CDNOW files are the test data)")
    path = Path(next(iter(spec.submodule_search_locations))) / "datasets" / FILE
    if not path.is_file():
        raise DataMissing(f"{path} is missing")
    return path


def load_cdnow(path: Path | None = None) -> dict[str, list[float]]:
    """Columns x (repeat purchases), t_x, T (weeks) and zbar (mean repeat spend, dollars)."""
    with (path or cdnow_path()).open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    return {k: [float(r[k]) for r in rows] for k in ("x", "t_x", "T", "zbar")}


def validate(path: Path | None = None) -> dict[str, Any]:
    """Fit both models on CDNOW; the fitted parameters beside the published ones."""
    data = load_cdnow(path)
    started = time.monotonic()
    bgnbd = fit_bgnbd(data["x"], data["t_x"], data["T"])
    spend = fit_gamma_gamma(data["x"], data["zbar"])
    seconds = time.monotonic() - started
    x, t_x, T = (np.asarray(data[k]) for k in ("x", "t_x", "T"))
    log_likelihood = float(bgnbd_log_likelihood(bgnbd, x, t_x, T).sum())
    example = float(expected_purchases(bgnbd, 39.0, [2], [30.43], [38.86])[0])
    return {
        "data": {
            "customers": len(data["x"]),
            "repeat_customers": sum(1 for x in data["x"] if x > 0),
            "time_unit": "weeks",
        },
        "bgnbd": _beside(vars(bgnbd), PUBLISHED_BGNBD),
        "gamma_gamma": _beside(vars(spend), PUBLISHED_GAMMA_GAMMA),
        "bgnbd_log_likelihood": {
            "fitted": round(log_likelihood, 1),
            "published": PUBLISHED_LOG_LIKELIHOOD,
        },
        "expected_purchases_39w_x2": {
            "fitted": round(example, 4),
            "published": PUBLISHED_EXPECTED_39W,
        },
        "fit_seconds": round(seconds, 3),
    }


def _beside(fitted: dict[str, float], published: dict[str, float]) -> dict[str, Any]:
    return {
        name: {"fitted": round(fitted[name], 4), "published": value}
        for name, value in published.items()
    }
