"""Computed traits: declared aggregates over a customer's events, kept up to date incrementally.

Pure logic over plain values. A trait is a function (count, sum, min, max, first, last,
most_frequent, unique_count) of an event property (or of the event's time), over all time or a
window of days, filtered by event name and property values. Example:

    orders_30d:        {function: count, event: Order Completed, window_days: 30}
    revenue_total:     {function: sum, event: Order Completed, property: revenue}
    favourite_category: {function: most_frequent, event: Product Viewed, property: category}

Each customer keeps a state per trait: partial aggregates in buckets, one per UTC day for a
windowed trait and a single ``all`` bucket otherwise. The partials form a monoid, so a batch
of events, or the merge of two customers, combines states exactly (the same result as
computing from all events at once), and a window drops whole days as time passes: the state
says when the next value change is due (``expires``) so a periodic refresh recomputes those
customers from their states alone, without reading events.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import yaml

Function = Literal["count", "sum", "min", "max", "first", "last", "most_frequent", "unique_count"]
FUNCTIONS: tuple[Function, ...] = (
    "count", "sum", "min", "max", "first", "last", "most_frequent", "unique_count",
)  # fmt: skip
TIME = "timestamp"  # the property name that means the event's own time
Value = str | int | float | bool | None
# Names a trait may not take: they are the customer's own properties.
RESERVED = frozenset({
    "customer_id", "created_at", "updated_at", "display_name", "merged_into", "merged_at",
    "first_names", "dobs", "golden_stats", "golden_provenance", "kept_apart", "split_from",
    "last_seen_at", "trait_state", "traits_expire_at", "first_name", "last_name", "name",
    "email", "phone", "dob", "address_line", "city", "postcode", "country",
    # written by `graphcdp predict` (traits/predictive.py), with expected_purchases_<N>d
    "churn_risk", "predicted_clv", "predictive_model_version", "predictive_as_of", "predicted_at",
})  # fmt: skip
PREDICTED_PREFIX = "expected_purchases_"


def predicted_names(horizon_days: int) -> tuple[str, ...]:
    """The traits ``graphcdp predict --horizon-days N`` writes (traits/predictive.py)."""
    return (
        "churn_risk", f"{PREDICTED_PREFIX}{horizon_days}d", "predicted_clv",
        "predictive_model_version", "predictive_as_of", "predicted_at",
    )  # fmt: skip


_NAME = re.compile(r"[a-z][a-z0-9_]{0,62}")


class TraitError(ValueError):
    """A trait definition that cannot be used; the message names the key."""


@dataclass(frozen=True)
class Trait:
    name: str
    function: Function
    event: str | None = None  # event name to count; None: every event
    property: str | None = None  # the property aggregated (TIME: the event's time)
    where: Mapping[str, Value] = field(default_factory=dict)  # property equalities
    window_days: int | None = None  # None: all time

    def matches(self, event: EventFact) -> bool:
        if self.event is not None and event.name != self.event:
            return False
        return all(event.properties.get(k) == v for k, v in self.where.items())

    def value_of(self, event: EventFact) -> Value:
        if self.property in (None, TIME):
            return event.timestamp
        return _scalar(event.properties.get(self.property))


@dataclass(frozen=True)
class EventFact:
    """What a trait reads from one event."""

    event_id: str
    name: str | None
    timestamp: str  # ISO-8601 UTC
    properties: Mapping[str, Any]


DEFAULT_TRAITS: tuple[Trait, ...] = (
    Trait("event_count", "count"),
    Trait("orders_30d", "count", event="Order Completed", window_days=30),
    Trait("revenue_total", "sum", event="Order Completed", property="revenue"),
    Trait("last_order_at", "last", event="Order Completed", property=TIME),
    Trait("favourite_category", "most_frequent", event="Product Viewed", property="category"),
)

# A state: trait name -> bucket (a UTC day, or "all") -> partial aggregate (JSON-ready).
State = dict[str, dict[str, Any]]


def update(state: State, traits: Iterable[Trait], events: Iterable[EventFact]) -> State:
    """The state after these (new) events; ``state`` itself is not changed."""
    out = combine(state)
    chosen = list(traits)
    for event in events:
        day = event.timestamp[:10]
        for trait in chosen:
            if not trait.matches(event):
                continue
            value = trait.value_of(event)
            if value is None and trait.function != "count":
                continue
            bucket = day if trait.window_days else "all"
            part = _single(trait.function, value, event)
            if part is None:
                continue
            buckets = out.setdefault(trait.name, {})
            buckets[bucket] = _merge(trait.function, buckets.get(bucket), part)
    return out


def combine(*states: State) -> State:
    """The state of customers merged into one (also a deep copy of one state)."""
    out: State = {}
    for state in states:
        for name, buckets in state.items():
            mine = out.setdefault(name, {})
            for bucket, part in buckets.items():
                function = _function_of(part)
                mine[bucket] = _merge(function, mine.get(bucket), part)
    return out


@dataclass(frozen=True)
class TraitValues:
    values: dict[str, Value]  # trait name -> value (None: no value)
    expires: str | None  # ISO date when a windowed value next changes, None: never


def evaluate(state: State, traits: Iterable[Trait], today: date) -> tuple[TraitValues, State]:
    """Trait values as of ``today`` (UTC), and the state with expired buckets dropped."""
    values: dict[str, Value] = {}
    kept: State = {}
    expires: date | None = None
    for trait in traits:
        buckets = dict(state.get(trait.name, {}))
        if trait.window_days:
            first_day = today - timedelta(days=trait.window_days - 1)
            buckets = {
                b: p for b, p in buckets.items() if b != "all" and b >= first_day.isoformat()
            }
            if buckets:
                oldest = date.fromisoformat(min(buckets))
                due = oldest + timedelta(days=trait.window_days)
                expires = due if expires is None else min(expires, due)
        if buckets:
            kept[trait.name] = buckets
        total = None
        for part in buckets.values():
            total = _merge(trait.function, total, part)
        values[trait.name] = _final(trait.function, total) if total is not None else _empty(trait)
    return TraitValues(values, expires.isoformat() if expires else None), kept


def dumps(state: State) -> str:
    return json.dumps(state, separators=(",", ":"), sort_keys=True)


def loads(text: str | None) -> State:
    return json.loads(text) if text else {}


# --- partial aggregates: {"f": function, ...}, each kind with its merge ----------------------


def _single(function: Function, value: Value, event: EventFact) -> dict[str, Any] | None:
    if function == "count":
        return {"f": function, "n": 1}
    if function == "sum":
        number = _number(value)
        return None if number is None else {"f": function, "s": number}
    if function in ("min", "max"):
        return {"f": function, "v": value}
    if function in ("first", "last"):
        return {"f": function, "t": event.timestamp, "id": event.event_id, "v": value}
    if function == "most_frequent":
        key = json.dumps(value)
        return {"f": function, "c": {key: [1, event.timestamp]}}
    return {"f": function, "u": [json.dumps(value)]}


def _merge(function: Function, a: dict[str, Any] | None, b: dict[str, Any]) -> dict[str, Any]:
    if a is None:
        return _copy(b)
    if function == "count":
        return {"f": function, "n": a["n"] + b["n"]}
    if function == "sum":
        return {"f": function, "s": a["s"] + b["s"]}
    if function in ("min", "max"):
        pick = min if function == "min" else max
        return {"f": function, "v": pick((a["v"], b["v"]), key=_order)}
    if function in ("first", "last"):
        pick = min if function == "first" else max
        return dict(pick((a, b), key=lambda p: (p["t"], p["id"])))
    if function == "most_frequent":
        counts = {k: list(v) for k, v in a["c"].items()}
        for key, (n, last) in b["c"].items():
            had = counts.get(key)
            counts[key] = [n, last] if had is None else [had[0] + n, max(had[1], last)]
        return {"f": function, "c": counts}
    return {"f": function, "u": sorted(set(a["u"]) | set(b["u"]))}


def _copy(part: dict[str, Any]) -> dict[str, Any]:
    """A copy of a partial aggregate that shares nothing mutable with it (its only mutable
    parts are the most_frequent counts and the unique_count list; the rest are scalars)."""
    out = dict(part)
    if "c" in out:
        out["c"] = {key: list(seen) for key, seen in out["c"].items()}
    if "u" in out:
        out["u"] = list(out["u"])
    return out


def _final(function: Function, total: dict[str, Any]) -> Value:
    if function == "count":
        return int(total["n"])
    if function == "sum":
        return _tidy(total["s"])
    if function in ("min", "max", "first", "last"):
        return total["v"]  # type: ignore[no-any-return]
    if function == "most_frequent":
        key = max(total["c"], key=lambda k: (total["c"][k][0], total["c"][k][1], k))
        return json.loads(key)  # type: ignore[no-any-return]
    return len(total["u"])


def _empty(trait: Trait) -> Value:
    return 0 if trait.function in ("count", "sum", "unique_count") else None


def _function_of(part: dict[str, Any]) -> Function:
    return part["f"]  # type: ignore[no-any-return]


def _order(value: Value) -> tuple[int, float, str]:
    """Numbers before text, each in its natural order (min/max over mixed values)."""
    number = _number(value)
    return (0, number, "") if number is not None else (1, 0.0, str(value))


def _number(value: Value) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) else None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _tidy(number: float) -> int | float:
    return int(number) if number.is_integer() and abs(number) < 2**53 else round(number, 6)


def _scalar(value: object) -> Value:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def today() -> date:
    return datetime.now(UTC).date()


# --- configuration ---------------------------------------------------------------------------


def load_traits(path: str | Path | None) -> tuple[Trait, ...]:
    """Trait definitions from a YAML file ``traits: {name: {function, event, property,
    where, window_days}}``; without a file, :data:`DEFAULT_TRAITS`.

    Raises:
        TraitError: a malformed definition; the message names the key.
    """
    if path is None:
        return DEFAULT_TRAITS
    try:
        data = yaml.safe_load(Path(path).read_text()) or {}
    except (OSError, yaml.YAMLError) as err:
        raise TraitError(f"{path}: {err}") from None
    if not isinstance(data, dict) or set(data) - {"traits"}:
        raise TraitError(f"{path}: expected a mapping with one key, traits")
    section = data.get("traits") or {}
    if not isinstance(section, dict):
        raise TraitError("traits: expected a mapping of trait name to definition")
    return tuple(_trait(str(name), spec) for name, spec in section.items())


def _trait(name: str, spec: object) -> Trait:
    key = f"traits.{name}"
    if not _NAME.fullmatch(name) or name in RESERVED or name.startswith(PREDICTED_PREFIX):
        raise TraitError(f"{key}: a trait name is lower_snake_case and not a profile property")
    if not isinstance(spec, dict):
        raise TraitError(f"{key}: expected a mapping")
    unknown = set(spec) - {"function", "event", "property", "where", "window_days"}
    if unknown:
        raise TraitError(f"{key}.{sorted(unknown)[0]}: unknown key")
    function = spec.get("function")
    if function not in FUNCTIONS:
        raise TraitError(f"{key}.function: one of {', '.join(FUNCTIONS)}")
    event, prop = spec.get("event"), spec.get("property")
    if event is not None and not isinstance(event, str):
        raise TraitError(f"{key}.event: expected an event name")
    if prop is not None and not isinstance(prop, str):
        raise TraitError(f"{key}.property: expected a property name")
    if prop is None and function not in ("count", "first", "last"):
        raise TraitError(f"{key}.property: {function} needs a property")
    where = spec.get("where") or {}
    if not isinstance(where, dict) or not all(
        isinstance(v, str | int | float | bool) for v in where.values()
    ):
        raise TraitError(f"{key}.where: expected a mapping of property to value")
    window = spec.get("window_days")
    if window is not None and not (
        isinstance(window, int) and not isinstance(window, bool) and 1 <= window <= 3650
    ):
        raise TraitError(f"{key}.window_days: a whole number of days from 1 to 3650")
    return Trait(name, function, event, prop, {str(k): v for k, v in where.items()}, window)
