"""Activation through the running service: a segment sent to a real webhook receiver (an
HTTP server in this test) gets the enter delta, then the exit delta, each once and signed;
the same segment to files with syncNow; the runs are visible through GraphQL."""

from __future__ import annotations

import csv
import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from graphcdp.settings import Settings
from tests.e2e.calls import graphql, send
from tests.e2e.webhooks import Receiver, receiving, wait

SECRET = "whsec-test"


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    with receiving() as got:
        yield got


CREATE = """mutation ($name: String!, $definition: JSON!) { createSegment(name: $name,
  definition: $definition) { ... on SegmentSaved { segment { id } } } }"""
DESTINATION = """mutation ($input: DestinationInput!) { createDestination(input: $input) {
  __typename ... on Destination { id kind } ... on ActivationInvalid { field reason } } }"""
ACTIVATE = """mutation ($s: ID!, $d: ID!, $mode: ActivationMode!, $every: Int) {
  activateSegment(segmentId: $s, destinationId: $d, mode: $mode, fields: ["email", "first_name"],
                  scheduleSeconds: $every) {
    __typename ... on Activation { mode cursor initial } } }"""


def test_a_webhook_gets_the_enter_then_the_exit_each_once(
    service: str, settings: Settings, receiver: Receiver, tmp_path: Path
) -> None:
    tag = uuid.uuid4().hex[:10]
    buy, refund = f"Order Completed {tag}", f"Refund Requested {tag}"
    definition = {"rule": {"all": [{"performed": buy, "atLeast": 2},
                                   {"notPerformed": refund}]}}  # fmt: skip
    segment = graphql(service, CREATE, name=f"Buyers {tag}",
                       definition=definition)["createSegment"]["segment"]["id"]  # fmt: skip
    url = f"{receiver.base}/hook"
    hook = graphql(service, DESTINATION, input={"name": f"CRM {tag}", "kind": "WEBHOOK",
                                                 "url": url, "secret": SECRET})  # fmt: skip
    assert hook["createDestination"]["kind"] == "WEBHOOK"
    active = graphql(service, ACTIVATE, s=segment, d=hook["createDestination"]["id"],
                      mode="REALTIME")["activateSegment"]  # fmt: skip
    assert active == {"__typename": "Activation", "mode": "REALTIME", "cursor": 0,
                      "initial": True}  # fmt: skip
    user = f"buyer-{tag}"
    send(service, settings, "identify", {"userId": user, "traits": {
        "email": f"{tag}@x.example", "firstName": "Ola"}})  # fmt: skip
    for _ in range(2):
        send(service, settings, "track", {"userId": user, "event": buy})
    [enter] = wait(lambda: receiver.deltas(SECRET, segment))
    assert enter["type"] == "enter"
    assert enter["fields"] == {"email": f"{tag}@x.example", "first_name": "Ola"}
    send(service, settings, "track", {"userId": user, "event": refund})
    both = wait(lambda: d if len(d := receiver.deltas(SECRET, segment)) >= 2 else None)
    assert [(d["type"], d["customer_id"]) for d in both] == [
        ("enter", enter["customer_id"]), ("exit", enter["customer_id"])]  # fmt: skip
    time.sleep(2.0)  # nothing is sent twice
    assert len(receiver.deltas(SECRET, segment)) == 2
    # The same segment to files, scheduled hourly: a second buyer enters, and syncNow writes
    # that one enter to a CSV file.
    files = graphql(service, DESTINATION, input={"name": f"Files {tag}", "kind": "FILE",
                                                  "directory": str(tmp_path)})  # fmt: skip
    file_id = files["createDestination"]["id"]
    graphql(service, ACTIVATE, s=segment, d=file_id, mode="SCHEDULED", every=3600)
    runs = """query ($s: ID!) { syncRuns(segmentId: $s) { mode entered exited }
      activations(segmentId: $s) { mode delivered initial } }"""
    # The worker sends a new activation's starting audience (nobody) at once; after that,
    # hourly: what happens next waits for the hour, or for syncNow.
    wait(lambda: all(not a["initial"] for a in graphql(service, runs, s=segment)["activations"]))
    send(service, settings, "track", {"userId": f"second-{tag}", "event": buy})
    send(service, settings, "track", {"userId": f"second-{tag}", "event": buy})
    members = """query ($id: ID!) { segment(id: $id) { memberCount } }"""
    wait(lambda: graphql(service, members, id=segment)["segment"]["memberCount"] == 1)
    sync = """mutation ($s: ID!, $d: ID!) { syncNow(segmentId: $s, destinationId: $d) {
      __typename ... on SyncRun { entered exited failed } } }"""
    ran = graphql(service, sync, s=segment, d=file_id)["syncNow"]
    assert ran == {"__typename": "SyncRun", "entered": 1, "exited": 0, "failed": 0}
    [written] = list(tmp_path.glob(f"{segment}__*.csv"))
    with written.open() as f:
        rows = list(csv.DictReader(f))
    assert [(r["type"], json.loads(r["fields"])) for r in rows] == [("enter", {})]
    data = graphql(service, runs, s=segment)
    assert {"mode": "manual", "entered": 1, "exited": 0} in data["syncRuns"]
    assert sorted(a["mode"] for a in data["activations"]) == ["REALTIME", "SCHEDULED"]
    bad = graphql(service, DESTINATION, input={"name": "x", "kind": "WEBHOOK", "url": "nope"})
    assert bad["createDestination"] == {"__typename": "ActivationInvalid", "field": "url",
                                        "reason": "expected an http(s) URL"}  # fmt: skip
