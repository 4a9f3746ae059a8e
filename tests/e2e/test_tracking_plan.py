"""The tracking plan: violations refused for a strict source, flagged and kept otherwise."""

from __future__ import annotations

import json
import uuid

import httpx

from graphcdp.settings import Settings
from tests.e2e.conftest import DEMO_KEY, STRICT_KEY
from tests.e2e.graph_check import wait_rows


def test_a_strict_source_gets_400_naming_the_field(service: str) -> None:
    bad = {"userId": "u", "event": "Checkout Planned", "properties": {"order_id": 12}}
    reply = httpx.post(f"{service}/v1/track", auth=(STRICT_KEY, ""), json=bad)
    assert reply.status_code == 400
    body = reply.json()
    assert body["field"] == "properties.order_id"
    assert body["error"].startswith("properties.order_id: tracking plan:")
    assert "(and 1 more)" in body["error"]  # revenue is missing too
    good = {"userId": "u", "event": "Checkout Planned",
            "properties": {"order_id": "o-1", "revenue": 5}}  # fmt: skip
    assert httpx.post(f"{service}/v1/track", auth=(STRICT_KEY, ""), json=good).status_code == 200


def test_other_sources_flag_violations_on_the_event_and_count_them(
    service: str, settings: Settings
) -> None:
    tag = f"tp-{uuid.uuid4().hex[:10]}"
    before = httpx.get(f"{service}/metrics").text
    batch = {"batch": [
        {"type": "track", "userId": tag, "event": "Checkout Planned", "messageId": f"{tag}-1",
         "properties": {"order_id": "o-9", "revenue": -3}},
        {"type": "track", "userId": tag, "event": "Unplanned Thing", "messageId": f"{tag}-2"},
    ]}  # fmt: skip
    reply = httpx.post(f"{service}/v1/batch", auth=(DEMO_KEY, ""), json=batch)
    assert reply.json() == {"success": True, "accepted": 2}
    rows = wait_rows(
        settings,
        "MATCH (e:Event) WHERE e.event_id STARTS WITH $tag RETURN e.event_id AS id, "
        "e.plan_violations AS v, e.plan_version AS version ORDER BY id",
        2,
        tag=tag,
    )
    assert json.loads(rows[0]["v"]) == [
        {"field": "properties.revenue", "reason": "-3 is less than the minimum of 0"}
    ]
    assert rows[0]["version"] == "7"
    assert (rows[1]["v"], rows[1]["version"]) == (None, None)
    after = httpx.get(f"{service}/metrics").text

    def flagged(text: str) -> int:
        prefix = 'graphcdp_tracking_plan_flagged_total{source="demo"}'
        line = next((ln for ln in text.splitlines() if ln.startswith(prefix)), "x 0")
        return int(line.rsplit(" ", 1)[1])

    assert flagged(after) == flagged(before) + 1


def test_a_strict_batch_keeps_the_good_calls(service: str, settings: Settings) -> None:
    tag = f"tps-{uuid.uuid4().hex[:10]}"
    batch = {"batch": [
        {"type": "track", "userId": tag, "event": "Checkout Planned", "messageId": f"{tag}-bad",
         "properties": {"order_id": "o-1"}},
        {"type": "track", "userId": tag, "event": "Checkout Planned", "messageId": f"{tag}-ok",
         "properties": {"order_id": "o-2", "revenue": 1.5}},
    ]}  # fmt: skip
    reply = httpx.post(f"{service}/v1/batch", auth=(STRICT_KEY, ""), json=batch).json()
    assert reply["accepted"] == 1
    assert reply["rejected"] == [{"index": 0, "field": "batch[0].properties.revenue",
                                  "reason": "tracking plan: is a required property"}]  # fmt: skip
    rows = wait_rows(
        settings,
        "MATCH (e:Event) WHERE e.event_id STARTS WITH $tag RETURN e.event_id AS id",
        1,
        tag=tag,
    )
    assert rows == [{"id": f"{tag}-ok"}]
