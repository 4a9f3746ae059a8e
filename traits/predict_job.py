"""The ``graphcdp predict`` job: read purchase histories in pages, fit, write predictive traits.

The store is a port (:class:`PurchaseStore`); ``graph.repository.PredictionRepository`` is
the Neo4j adapter. Summaries (four numbers a customer) are kept in memory between the read and
the write, so the fit sees every selected customer.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Protocol

from traits.computed import predicted_names
from traits.predictive import (
    Model,
    PredictOptions,
    Purchase,
    Summary,
    TraitValue,
    fit,
    revenue_of,
    score,
    summarise,
)

# Written with the predictions; the names segments and operators read.
VERSION, AS_OF, AT = "predictive_model_version", "predictive_as_of", "predicted_at"

History = list[tuple[str, list[tuple[str, str | None]]]]


class PurchaseStore(Protocol):
    async def purchases(
        self, event: str, until: str, after: str, limit: int, ids: Sequence[str] | None
    ) -> History:
        """A page of live customers after ``after`` (id order) with an ``event`` before
        ``until``: (customer id, [(timestamp, properties JSON)] of those events)."""
        ...

    async def write(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Set each row's ``values`` on its customer (``customer_id``)."""
        ...


@dataclass(frozen=True)
class PredictReport:
    customers: int
    model: Model
    read_seconds: float
    fit_seconds: float
    write_seconds: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "customers_scored": self.customers,
            "model_version": self.model.version,
            "traits": list(predicted_names(self.model.options.horizon_days)),
            **self.model.describe(),
            "seconds": {
                "read": round(self.read_seconds, 3), "fit": round(self.fit_seconds, 3),
                "write": round(self.write_seconds, 3),
            },
        }  # fmt: skip


async def predict(
    store: PurchaseStore,
    *,
    as_of: date,
    options: PredictOptions,
    event: str = "Order Completed",
    revenue: str = "revenue",
    ids: Sequence[str] | None = None,
    page: int = 1000,
    now: str,
) -> PredictReport:
    """Fit on every live customer with a purchase by ``as_of`` (or those of ``ids``) and
    write their predictive traits with the model version.

    Raises:
        traits.btyd.FitError: the selected customers cannot be fitted.
    """
    started = time.monotonic()
    until = (as_of + timedelta(days=1)).isoformat()  # timestamps of the as-of day sort before
    customers: list[str] = []
    summaries: list[Summary] = []
    after = ""
    while rows := await store.purchases(event, until, after, page, ids):
        for customer_id, events in rows:
            found = summarise((Purchase(ts, revenue_of(_props(p), revenue)) for ts, p in events),
                              as_of)  # fmt: skip
            if found is not None:
                customers.append(customer_id)
                summaries.append(found)
        after = rows[-1][0]
        if len(rows) < page:
            break
    read = time.monotonic()
    model = fit(summaries, as_of, options)
    values = score(model, summaries)
    fitted = time.monotonic()
    stamp: dict[str, TraitValue] = {VERSION: model.version, AS_OF: as_of.isoformat(), AT: now}
    for start in range(0, len(customers), page):
        await store.write([
            {"customer_id": c, "values": v | stamp}
            for c, v in zip(customers[start:start + page], values[start:start + page], strict=True)
        ])  # fmt: skip
    return PredictReport(
        len(customers), model, read - started, fitted - read, time.monotonic() - fitted
    )


def _props(text: str | None) -> dict[str, Any]:
    try:
        value = json.loads(text) if text else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
