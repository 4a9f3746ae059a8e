"""Survivorship: which value of each golden attribute a customer shows, and from which record.

Pure logic. Every record states some golden attributes (names, email, phone, birth date,
address). A customer keeps, per attribute, the statistics of every distinct value its records
stated (how many records, the first and the last record stating it, the best source rank) in
:class:`Stats`; a policy per attribute picks the winner from them:

- ``most_recent``: the value stated by the newest record;
- ``source_priority``: the value from the most trusted source (the ``sources`` ranking, first
  is best; unranked sources come last), the newest among equals;
- ``most_frequent``: the value most records state, the newest among equals;
- ``first_seen``: the value stated by the oldest record.

The statistics combine exactly: adding a record, or merging two customers, gives the same
statistics as computing them from all records at once, so the worker keeps them incrementally
and a split recomputes them from the records of each part. Losing values stay on their records
(and in the statistics); nothing is discarded.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Policy = Literal["most_recent", "source_priority", "most_frequent", "first_seen"]
POLICIES: tuple[Policy, ...] = ("most_recent", "source_priority", "most_frequent", "first_seen")
Scalar = str | int | float | bool


class SurvivorshipError(ValueError):
    """A policy that cannot be used; the message names the key."""


@dataclass(frozen=True)
class SurvivorshipPolicy:
    default: Policy = "most_recent"
    attributes: Mapping[str, Policy] = field(
        default_factory=lambda: {
            "first_name": "source_priority",
            "last_name": "source_priority",
            "name": "source_priority",
            "dob": "source_priority",
        }
    )
    sources: tuple[str, ...] = ("crm", "support", "pos", "mobile", "web")

    def policy(self, attribute: str) -> Policy:
        return self.attributes.get(attribute, self.default)

    def rank(self, source: str) -> int:
        return self.sources.index(source) if source in self.sources else len(self.sources)


DEFAULT_POLICY = SurvivorshipPolicy()


@dataclass(frozen=True)
class Seen:
    """One record stating a value: when, which record, which source."""

    timestamp: str
    record_id: str
    source: str


@dataclass
class ValueStats:
    count: int
    first: Seen
    last: Seen
    best_rank: int
    best: Seen  # the newest record of the best-ranked source

    def add(self, other: ValueStats) -> None:
        self.count += other.count
        if _order(other.first) < _order(self.first):
            self.first = other.first
        if _order(other.last) > _order(self.last):
            self.last = other.last
        if other.best_rank < self.best_rank or (
            other.best_rank == self.best_rank and _order(other.best) > _order(self.best)
        ):
            self.best_rank, self.best = other.best_rank, other.best


# attribute -> JSON-encoded value -> statistics (values keep their JSON type: 5 and "5" differ)
Stats = dict[str, dict[str, ValueStats]]


@dataclass(frozen=True)
class StatedRecord:
    """What one record says: its golden attributes, when, from which source."""

    record_id: str
    source: str
    timestamp: str
    golden: Mapping[str, Scalar]


@dataclass(frozen=True)
class Golden:
    """The winning value of each attribute and the record it came from (provenance)."""

    values: dict[str, Scalar]
    provenance: dict[str, dict[str, str]]  # attribute -> {record_id, source, timestamp, policy}


def stats_of(records: Iterable[StatedRecord], policy: SurvivorshipPolicy = DEFAULT_POLICY) -> Stats:
    stats: Stats = {}
    for record in records:
        add_record(stats, record, policy)
    return stats


def add_record(stats: Stats, record: StatedRecord, policy: SurvivorshipPolicy) -> None:
    seen = Seen(record.timestamp, record.record_id, record.source)
    rank = policy.rank(record.source)
    for attribute, value in record.golden.items():
        key = json.dumps(value)
        one = ValueStats(1, seen, seen, rank, seen)
        values = stats.setdefault(attribute, {})
        if key in values:
            values[key].add(one)
        else:
            values[key] = one


def combine(*parts: Stats) -> Stats:
    """The statistics of customers merged into one."""
    out: Stats = {}
    for part in parts:
        for attribute, values in part.items():
            mine = out.setdefault(attribute, {})
            for key, value in values.items():
                copy = ValueStats(value.count, value.first, value.last, value.best_rank, value.best)
                if key in mine:
                    mine[key].add(copy)
                else:
                    mine[key] = copy
    return out


def golden(stats: Stats, policy: SurvivorshipPolicy = DEFAULT_POLICY) -> Golden:
    """The winner of every attribute under the policy, with its provenance."""
    values: dict[str, Scalar] = {}
    provenance: dict[str, dict[str, str]] = {}
    for attribute, candidates in sorted(stats.items()):
        if not candidates:
            continue
        chosen = policy.policy(attribute)
        key, seen = _winner(candidates, chosen)
        decoded = json.loads(key)
        values[attribute] = decoded
        provenance[attribute] = {
            "record_id": seen.record_id,
            "source": seen.source,
            "timestamp": seen.timestamp,
            "policy": chosen,
        }
    return Golden(values, provenance)


def _winner(candidates: Mapping[str, ValueStats], policy: Policy) -> tuple[str, Seen]:
    def last(k: str) -> tuple[str, str]:
        return _order(candidates[k].last)

    if policy == "first_seen":
        key = min(candidates, key=lambda k: _order(candidates[k].first))
        return key, candidates[key].first
    if policy == "most_frequent":
        key = max(candidates, key=lambda k: (candidates[k].count, last(k)))
        return key, candidates[key].last
    if policy == "source_priority":
        top = min(v.best_rank for v in candidates.values())
        ranked = [k for k in candidates if candidates[k].best_rank == top]
        key = max(ranked, key=lambda k: _order(candidates[k].best))
        return key, candidates[key].best
    key = max(candidates, key=last)
    return key, candidates[key].last


def _order(seen: Seen) -> tuple[str, str]:
    return (seen.timestamp, seen.record_id)


def dumps(stats: Stats) -> str:
    """The statistics as the JSON string kept on the Customer node (``golden_stats``)."""
    return json.dumps(
        {a: {k: _encode(v) for k, v in values.items()} for a, values in stats.items()},
        separators=(",", ":"),
        sort_keys=True,
    )


def loads(text: str | None) -> Stats:
    if not text:
        return {}
    raw = json.loads(text)
    return {a: {k: _decode(v) for k, v in values.items()} for a, values in raw.items()}


def _encode(v: ValueStats) -> list[Any]:
    def seen(s: Seen) -> list[str]:
        return [s.timestamp, s.record_id, s.source]

    return [v.count, seen(v.first), seen(v.last), v.best_rank, seen(v.best)]


def _decode(raw: list[Any]) -> ValueStats:
    count, first, last, rank, best = raw
    return ValueStats(int(count), Seen(*first), Seen(*last), int(rank), Seen(*best))


def load_policy(data: object, key: str = "survivorship") -> SurvivorshipPolicy:
    """A policy from a parsed YAML section ``{default, attributes: {attr: policy}, sources}``.

    Raises:
        SurvivorshipError: a malformed section; the message names the key.
    """
    if data is None:
        return DEFAULT_POLICY
    if not isinstance(data, dict):
        raise SurvivorshipError(f"{key}: expected a mapping")
    unknown = set(data) - {"default", "attributes", "sources"}
    if unknown:
        raise SurvivorshipError(f"{key}.{sorted(unknown)[0]}: unknown key")
    default = data.get("default", DEFAULT_POLICY.default)
    if default not in POLICIES:
        raise SurvivorshipError(f"{key}.default: one of {', '.join(POLICIES)}")
    attributes = dict(DEFAULT_POLICY.attributes)
    given = data.get("attributes") or {}
    if not isinstance(given, dict):
        raise SurvivorshipError(f"{key}.attributes: expected a mapping")
    for attribute, chosen in given.items():
        if chosen not in POLICIES:
            raise SurvivorshipError(f"{key}.attributes.{attribute}: one of {', '.join(POLICIES)}")
        attributes[str(attribute)] = chosen
    sources = data.get("sources", list(DEFAULT_POLICY.sources))
    if not isinstance(sources, list) or not all(isinstance(s, str) for s in sources):
        raise SurvivorshipError(f"{key}.sources: expected a list of source names, best first")
    return SurvivorshipPolicy(default, attributes, tuple(sources))
