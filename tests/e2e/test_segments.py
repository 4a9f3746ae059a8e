"""Segments through the running service: created over GraphQL, members follow each event in
real time (the worker's segment follower), a new version and a delete take effect at once."""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Subprotocol

from graphcdp.settings import Settings
from tests.e2e.calls import graphql, send
from tests.e2e.conftest import ADMIN

CREATE = """mutation ($name: String!, $definition: JSON!) {
  createSegment(name: $name, definition: $definition) {
    __typename
    ... on SegmentSaved { entered segment { id version memberCount } }
    ... on SegmentInvalid { path reason }
  } }"""
SEGMENTS_OF = """query ($user: String!) {
  customer(identifier: {type: USER_ID, value: $user}) { id segments { segmentId name since } } }"""


@contextlib.contextmanager
def _watch_segment(base: str, segment_id: str) -> Iterator[ClientConnection]:
    query = """subscription ($id: ID!) {
      segmentMembershipChanged(segmentId: $id) { segmentId customerId kind at } }"""
    url = base.replace("http", "ws") + "/graphql"
    with connect(url, subprotocols=[Subprotocol("graphql-transport-ws")],
                 additional_headers=ADMIN) as ws:  # fmt: skip
        ws.send(json.dumps({"type": "connection_init"}))
        assert json.loads(ws.recv(timeout=5))["type"] == "connection_ack"
        payload = {"query": query, "variables": {"id": segment_id}}
        ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
        time.sleep(0.5)  # registered before the first event
        yield ws


def _membership(ws: ClientConnection) -> dict[str, Any]:
    message = json.loads(ws.recv(timeout=20))
    assert message["type"] == "next", message
    assert "errors" not in message["payload"], message
    data: dict[str, Any] = message["payload"]["data"]["segmentMembershipChanged"]
    return data


def _segments_of(base: str, user: str, wanted: Any, timeout: float = 20) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while True:
        customer = graphql(base, SEGMENTS_OF, user=user)["customer"]
        segments = customer["segments"] if customer else None
        if segments is not None and wanted(segments):
            return list(segments)
        assert time.monotonic() < deadline, segments
        time.sleep(0.2)


def test_members_enter_and_leave_with_each_event(service: str, settings: Settings) -> None:
    tag = uuid.uuid4().hex[:10]
    buy, refund = f"Order Completed {tag}", f"Refund Requested {tag}"
    definition = {"rule": {"all": [
        {"performed": buy, "atLeast": 2, "withinDays": 30,
         "where": [{"property": "revenue", "op": "gte", "value": 20}]},
        {"notPerformed": refund, "withinDays": 30},
    ]}}  # fmt: skip
    saved = graphql(service, CREATE, name=f"Loyal {tag}", definition=definition)["createSegment"]
    assert saved["__typename"] == "SegmentSaved", saved
    segment = saved["segment"]
    assert (saved["entered"], segment["version"], segment["memberCount"]) == (0, 1, 0)
    user = f"shopper-{tag}"
    with _watch_segment(service, segment["id"]) as ws:
        send(service, settings, "identify",
              {"userId": user, "traits": {"email": f"{tag}@x.example"}})  # fmt: skip
        for revenue in (30, 5, 45):
            send(service, settings, "track", {"userId": user, "event": buy,
                                               "properties": {"revenue": revenue}})  # fmt: skip
        [member] = _segments_of(service, user, lambda s: len(s) == 1)
        assert (member["segmentId"], member["name"]) == (segment["id"], f"Loyal {tag}")
        customer = graphql(service, SEGMENTS_OF, user=user)["customer"]["id"]
        send(service, settings, "track", {"userId": user, "event": refund})
        _segments_of(service, user, lambda s: s == [])
        # The subscriber heard the enter, then the exit, each once.
        heard = [_membership(ws), _membership(ws)]
        assert [(m["customerId"], m["kind"]) for m in heard] == [
            (customer, "ENTERED"), (customer, "EXITED"),
        ]  # fmt: skip
        with pytest.raises(TimeoutError):
            ws.recv(timeout=1.5)
    # A new version without the refund rule takes the customer back at once.
    update = """mutation ($id: ID!, $definition: JSON!) { updateSegment(id: $id,
      definition: $definition) { ... on SegmentSaved { entered segment { version } } } }"""
    data = graphql(service, update, id=segment["id"],
                    definition={"rule": definition["rule"]["all"][0]})  # fmt: skip
    assert data["updateSegment"] == {"entered": 1, "segment": {"version": 2}}
    members = """query ($id: ID!) { segment(id: $id) { memberCount
      members(first: 5) { totalCount edges { node { id } } } } }"""
    listed = graphql(service, members, id=segment["id"])["segment"]
    assert listed["memberCount"] == listed["members"]["totalCount"] == 1
    deleted = graphql(service, """mutation ($id: ID!) { deleteSegment(id: $id) {
      ... on SegmentDeleted { exited } } }""", id=segment["id"])  # fmt: skip
    assert deleted["deleteSegment"] == {"exited": 1}
    assert graphql(service, members, id=segment["id"])["segment"] is None


def test_an_invalid_definition_names_its_bad_node_and_a_preview_saves_nothing(
    service: str,
) -> None:
    bad = {"rule": {"any": [{"attribute": "city", "op": "eq", "value": "Oslo"},
                            {"performed": "Buy", "atLeast": "two"}]}}  # fmt: skip
    saved = graphql(service, CREATE, name="Bad", definition=bad)["createSegment"]
    assert saved == {"__typename": "SegmentInvalid", "path": "rule.any[1].atLeast",
                     "reason": "expected a whole number from 1 to 10000"}  # fmt: skip
    preview = """mutation ($definition: JSON!) { previewSegment(definition: $definition) {
      ... on SegmentPreview { count sample { id } } ... on SegmentInvalid { path } } }"""
    tag = uuid.uuid4().hex[:10]
    data = graphql(service, preview, definition={"rule": {"attribute": "city", "op": "eq",
                                                          "value": f"Nowhere {tag}"}})  # fmt: skip
    assert data["previewSegment"] == {"count": 0, "sample": []}
