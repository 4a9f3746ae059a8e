"""The segment follower's batch: the memberships of the customers it touches are read once for
all the segments it evaluates, and the enters and exits come out right (fakes: no servers)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from graph.cypher import q
from graph.repository.segments import Segment
from ingest.segment_follower import evaluate_batch

CITY = {"c1": "Oslo", "c2": "Bergen", "c3": "Oslo"}


class FakeStore:
    """Segments on a city each; customers live in CITY; memberships in ``members``."""

    def __init__(self) -> None:
        self.members = {"seg_oslo": {"c1", "c2"}, "seg_bergen": set[str]()}
        self.membership_reads = 0
        self.given: dict[str, set[str] | None] = {}

    def blocks(self, names: Sequence[str]) -> dict[str, str]:
        return {name: q(name).text for name in names}

    async def segments(self) -> list[Segment]:
        rule = {"attribute": "city", "op": "in"}
        return [
            Segment(sid, sid, 1, {"rule": {**rule, "value": [city]}}, "t", "t")
            for sid, city in (("seg_oslo", "Oslo"), ("seg_bergen", "Bergen"))
        ]

    async def evaluate(
        self, condition: str, params: dict[str, Any], ids: Sequence[str] | None = None
    ) -> set[str]:
        (city,) = next(v for k, v in params.items() if k.endswith("_list"))
        return {c for c in ids or CITY if CITY[c] == city}

    async def apply(
        self,
        segment_id: str,
        holds: set[str],
        ids: Sequence[str] | None = None,
        current: set[str] | None = None,
    ) -> tuple[list[str], list[str]]:
        self.given[segment_id] = current
        assert current is not None  # the follower passes what it read
        entered, exited = sorted(holds - current), sorted(current - holds)
        self.members[segment_id] = (self.members[segment_id] | set(entered)) - set(exited)
        return entered, exited

    async def segments_of(self, ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        self.membership_reads += 1
        return {c: [{"segment_id": s} for s, m in self.members.items() if c in m] for c in ids}


class FakeProducer:
    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []

    async def publish_changes(self, changes: Sequence[tuple[str, dict[str, Any]]]) -> None:
        self.sent += changes


async def test_one_membership_read_serves_every_segment_of_the_batch() -> None:
    store, producer = FakeStore(), FakeProducer()
    changes = [{"type": "customer.updated", "customer_id": c, "records": 1} for c in CITY]
    done = await evaluate_batch(store, producer, changes, datetime.now(UTC))  # type: ignore[arg-type]
    assert store.membership_reads == 1
    assert store.given == {"seg_oslo": {"c1", "c2"}, "seg_bergen": set()}
    assert {(c.segment_id, c.entered, c.exited) for c in done} == {
        ("seg_oslo", ("c3",), ("c2",)),
        ("seg_bergen", ("c2",), ()),
    }
    assert store.members == {"seg_oslo": {"c1", "c3"}, "seg_bergen": {"c2"}}
    published = sorted((k, v["type"], v["segment_id"]) for k, v in producer.sent)
    assert published == [
        ("c2", "segment.entered", "seg_bergen"),
        ("c2", "segment.exited", "seg_oslo"),
        ("c3", "segment.entered", "seg_oslo"),
    ]
