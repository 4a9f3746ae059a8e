"""Browsing what the tracking API sent, through the running service: two people on one
device are related (not merged), a household is a group, events page newest first, and the
identity path shows how the two are connected."""

from __future__ import annotations

import time
import uuid

from graphcdp.settings import Settings
from tests.e2e.calls import graphql, send

BROWSE = """
query ($user: String!, $other: ID!) {
  customer(identifier: {type: USER_ID, value: $user}) {
    id
    related(kind: DEVICE) { customer { id } hops via }
    household: related(kind: HOUSEHOLD) { customer { id } }
    events(first: 2, names: ["Order Completed"]) {
      edges { node { name properties } } pageInfo { hasNextPage }
    }
    groups { id household traits }
  }
  identityPath(from: $other, to: $other) { label }
}"""


def test_people_sharing_a_device_and_a_household_are_related_not_merged(
    service: str, settings: Settings
) -> None:
    tag = uuid.uuid4().hex[:10]
    device = {"device": {"id": f"tablet-{tag}", "type": "android"}}
    for who in ("ann", "bob", "cat"):
        send(service, settings, "identify", {
            "userId": f"{who}-{tag}", "traits": {"email": f"{who}.{tag}@example.com"},
            "context": device if who != "cat" else {},
        })  # fmt: skip
    for who in ("ann", "cat"):
        send(service, settings, "group", {
            "userId": f"{who}-{tag}", "groupId": f"home-{tag}",
            "traits": {"type": "household", "name": "The Smiths"},
        })  # fmt: skip
    for n, name in enumerate(["Order Completed", "Product Viewed", "Order Completed"] * 2):
        send(service, settings, "track", {
            "userId": f"ann-{tag}", "event": name, "properties": {"n": n},
            "timestamp": f"2026-11-2{n}T12:00:00.000Z",
        })  # fmt: skip
    deadline = time.monotonic() + 30
    while True:
        bob = graphql(service, BROWSE, user=f"bob-{tag}", other="none")["customer"]
        data = graphql(service, BROWSE, user=f"ann-{tag}", other=bob["id"] if bob else "none")
        ann = data["customer"]
        newest = ann["events"]["edges"][:1] if ann else []
        # The last track call (n = 5) applied means every earlier one is (one partition key).
        if (
            ann
            and bob
            and len(ann["groups"]) == 1
            and newest
            and newest[0]["node"]["properties"] == {"n": 5}
        ):
            break
        assert time.monotonic() < deadline, data
        time.sleep(0.3)
    assert ann["id"] != bob["id"]  # user ids are strong: a shared tablet never merges people
    assert ann["related"] == [{"customer": {"id": bob["id"]}, "hops": 1, "via": f"tablet-{tag}"}]
    cat = graphql(service, BROWSE, user=f"cat-{tag}", other="none")["customer"]
    assert ann["household"] == [{"customer": {"id": cat["id"]}}]
    assert [e["node"] for e in ann["events"]["edges"]] == [
        {"name": "Order Completed", "properties": {"n": 5}},
        {"name": "Order Completed", "properties": {"n": 3}},
    ]
    assert ann["groups"] == [{"id": f"home-{tag}", "household": True,
                              "traits": {"type": "household", "name": "The Smiths"}}]  # fmt: skip
    path = graphql(service, BROWSE, user=f"ann-{tag}", other=ann["id"])
    assert path["identityPath"] == [{"label": "Customer"}]
    data = graphql(
        service, "query ($a: ID!, $b: ID!) { identityPath(from: $a, to: $b) { label via } }",
        a=ann["id"], b=bob["id"],
    )  # fmt: skip
    assert [s["label"] for s in data["identityPath"]] == [
        "Customer", "Record", "Device", "Record", "Customer",
    ]  # fmt: skip
    assert [s["via"] for s in data["identityPath"]][2] == "SEEN_ON"
