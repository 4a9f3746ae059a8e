"""Privacy through the running service: consent decides what a destination receives, an
erased person is gone from Neo4j, Redis and OpenSearch, the destination is told, and neither
a replay of the Kafka topic nor a late event brings them back."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from graphcdp.settings import Settings
from tests.e2e.calls import graphql, send
from tests.e2e.graph_check import end_offsets, query, start_group_at, wait_caught_up
from tests.e2e.webhooks import Receiver, receiving, signed, wait

SECRET = "whsec-privacy-test"


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    with receiving() as got:
        yield got


def _deltas(receiver: Receiver, segment_id: str) -> list[tuple[str, str]]:
    """(type, customer id) of every delta the receiver got for the segment, in order."""
    return [(d["type"], d["customer_id"]) for d in receiver.deltas(SECRET, segment_id)]


SEGMENT = """mutation ($name: String!, $definition: JSON!) { createSegment(name: $name,
  definition: $definition) { ... on SegmentSaved { segment { id } } } }"""
DESTINATION = """mutation ($input: DestinationInput!) { createDestination(input: $input) {
  ... on Destination { id } } }"""
ACTIVATE = """mutation ($s: ID!, $d: ID!) { activateSegment(segmentId: $s, destinationId: $d,
  mode: REALTIME, fields: ["email"]) { __typename } }"""
CUSTOMER = """query ($type: IdentifierType!, $value: String!) {
  customer(identifier: {type: $type, value: $value}) {
    id consent { purpose status allowed source } consentHistory { purpose status } } }"""
SET_CONSENT = """mutation ($input: ConsentInput!) { setConsent(input: $input) {
  __typename ... on ConsentSet { consent { purpose status allowed } }
  ... on ConsentInvalid { field reason } } }"""


def _customer(base: str, user: str) -> dict[str, Any] | None:
    found: dict[str, Any] | None = graphql(base, CUSTOMER, type="USER_ID", value=user)["customer"]
    return found


def _segment_to_receiver(base: str, receiver: Receiver, tag: str, event: str) -> str:
    definition = {"rule": {"performed": event}}
    segment: str = graphql(base, SEGMENT, name=f"Privacy {tag}",
                           definition=definition)["createSegment"]["segment"]["id"]  # fmt: skip
    hook = graphql(base, DESTINATION, input={
        "name": f"Hook {tag}", "kind": "WEBHOOK", "url": f"{receiver.base}/hook",
        "secret": SECRET, "erasureUrl": f"{receiver.base}/customers/{{customer_id}}",
    })["createDestination"]["id"]  # fmt: skip
    assert graphql(base, ACTIVATE, s=segment, d=hook)["activateSegment"] == {
        "__typename": "Activation"}  # fmt: skip
    return segment


def test_consent_decides_what_a_destination_receives(
    service: str, settings: Settings, receiver: Receiver
) -> None:
    tag = uuid.uuid4().hex[:10]
    signup = f"Signed Up {tag}"
    segment = _segment_to_receiver(service, receiver, tag, signup)
    yes, no = f"yes-{tag}", f"no-{tag}"
    send(service, settings, "track", {"userId": yes, "event": signup, "context": {
        "consent": {"categoryPreferences": {"Marketing": True}}}})  # fmt: skip
    send(service, settings, "track", {"userId": no, "event": signup, "context": {
        "consent": {"categoryPreferences": {"Marketing": False, "Analytics": True}}}})  # fmt: skip
    yes_id = wait(lambda: _customer(service, yes))["id"]
    no_customer = wait(lambda: _customer(service, no))
    assert no_customer["consent"] == [
        {"purpose": "analytics", "status": "GRANTED", "allowed": True, "source": "demo"},
        {"purpose": "marketing", "status": "DENIED", "allowed": False, "source": "demo"},
    ]  # fmt: skip
    members = """query ($id: ID!) { segment(id: $id) { memberCount } }"""
    wait(lambda: graphql(service, members, id=segment)["segment"]["memberCount"] == 2)
    wait(lambda: ("enter", yes_id) in _deltas(receiver, segment))
    runs = """query ($s: ID!) { syncRuns(segmentId: $s) { entered withheld } }"""
    wait(lambda: sum(r["withheld"] for r in graphql(service, runs, s=segment)["syncRuns"]) >= 1)
    assert ("enter", no_customer["id"]) not in _deltas(receiver, segment)
    # The second customer grants marketing in the preference centre: it is sent as an enter.
    granted = graphql(
        service,
        SET_CONSENT,
        input={"customerId": no_customer["id"], "purpose": "Marketing", "status": "GRANTED"},
    )
    assert {"purpose": "marketing", "status": "GRANTED", "allowed": True} in granted[
        "setConsent"]["consent"]  # fmt: skip
    wait(lambda: ("enter", no_customer["id"]) in _deltas(receiver, segment))
    # The first revokes marketing in an event: the destination is told to drop them.
    send(service, settings, "track", {"userId": yes, "event": "Consent Updated", "properties": {
        "consent": {"purposes": {"marketing": {"status": "revoked"}}}}})  # fmt: skip
    wait(lambda: ("exit", yes_id) in _deltas(receiver, segment))
    history = _customer(service, yes)
    assert history is not None
    assert history["consentHistory"] == [{"purpose": "marketing", "status": "GRANTED"},
                                         {"purpose": "marketing", "status": "REVOKED"}]  # fmt: skip
    bad = graphql(
        service,
        SET_CONSENT,
        input={
            "customerId": yes_id,
            "purpose": "marketing",
            "status": "GRANTED",
            "expiresAt": "soon",
        },
    )
    assert bad["setConsent"] == {"__typename": "ConsentInvalid", "field": "expiresAt",
                                 "reason": "not an ISO-8601 time: 'soon'"}  # fmt: skip


ERASE = """mutation ($id: ID!) { eraseCustomer(id: $id, reference: "DSR-1") {
  __typename ... on CustomerErased { customerId counts suppressed notified } } }"""
SEARCH = """query ($q: String!) { searchCustomers(query: $q) { totalCount } }"""


def _replay(settings: Settings, since: dict[int, int], log: Path) -> None:
    """A worker of a new group replays cdp.events from ``since`` (and nothing of the records
    topic); wait until it has caught up, then stop it."""
    group = f"replay-privacy-{uuid.uuid4().hex[:8]}"
    records = end_offsets(settings, settings.topics.records)
    start_group_at(settings, group, {settings.topics.events: since,
                                     settings.topics.records: records})  # fmt: skip
    env = {**os.environ, "GRAPHCDP_WORKER_GROUP": group,
           "GRAPHCDP_SEGMENT_GROUP": f"{group}-segments"}  # fmt: skip
    with log.open("ab") as out:
        worker = subprocess.Popen([sys.executable, "-m", "graphcdp.cli", "worker"], env=env,
                                  stdout=out, stderr=out)  # fmt: skip
    try:
        wait_caught_up(settings, group, timeout=180)
    finally:
        worker.terminate()
        worker.wait(timeout=30)


def test_an_erased_person_is_gone_everywhere_and_stays_gone(
    search_api: str, settings: Settings, receiver: Receiver, tmp_path: Path
) -> None:
    tag = uuid.uuid4().hex[:10]
    base = search_api  # an API with its own OpenSearch index, following cdp.changes
    since = end_offsets(settings, settings.topics.events)
    bought = f"Bought {tag}"
    segment = _segment_to_receiver(base, receiver, tag, bought)
    user, email, name = f"gone-{tag}", f"gone-{tag}@example.com", f"Gonename{tag}"
    phone = f"+4791{int(tag[:8], 16) % 1_000_000:06d}"  # its own: an erased phone stays suppressed
    send(base, settings, "identify", {"userId": user, "anonymousId": f"anon-{tag}", "traits": {
        "email": email, "phone": phone, "firstName": name}})  # fmt: skip
    send(base, settings, "track", {"userId": user, "event": bought, "properties": {"sku": tag}})
    customer_id = wait(lambda: _customer(base, user))["id"]
    wait(lambda: ("enter", customer_id) in _deltas(receiver, segment))
    wait(lambda: graphql(base, SEARCH, q=email)["searchCustomers"]["totalCount"] == 1)
    profile = """query ($id: ID!) { customer(id: $id) { id email firstName } }"""
    assert graphql(base, profile, id=customer_id)["customer"]["email"] == email  # cached now

    erased = graphql(base, ERASE, id=customer_id)["eraseCustomer"]
    assert erased["__typename"] == "CustomerErased"
    assert (erased["customerId"], erased["notified"]) == (customer_id, 1)
    assert erased["counts"]["events"] == 2
    assert erased["suppressed"] == 4  # user id, anonymous id, email, phone
    [notice] = [r for r in receiver.got if r.method == "DELETE" and customer_id in r.path]
    assert notice.path == f"/customers/{customer_id}"
    assert signed(SECRET, notice)["type"] == "customer.erased"

    needles = [user, email, name, f"anon-{tag}", customer_id, tag]
    # What names the tag but not the person stays: the segment, its versions, the destination,
    # its sync runs, and the audit log (ids and counts).
    gone = (
        "MATCH (n) WHERE any(x IN $needles WHERE apoc.convert.toJson(properties(n)) CONTAINS x) "
        "AND NOT (n:AuditBatch OR n:Segment OR n:SegmentVersion OR n:Destination OR n:SyncRun) "
        "RETURN labels(n) AS kind, properties(n) AS props"
    )
    assert query(settings, gone, needles=needles) == []
    client = redis.Redis.from_url(settings.redis_url)
    for key in client.scan_iter(match="graphcdp:*", count=1000):
        value = client.get(key) if client.type(key) == b"string" else b""
        assert not any(n.encode() in key + (value or b"") for n in needles), key
    assert graphql(base, profile, id=customer_id)["customer"] is None
    assert graphql(base, SEARCH, q=email)["searchCustomers"]["totalCount"] == 0
    assert graphql(base, """query ($id: ID!) { exportCustomer(id: $id) }""",
                   id=customer_id)["exportCustomer"] is None  # fmt: skip

    # A replay of the topic and a late event: dropped, counted, and nothing comes back.
    _replay(settings, since, tmp_path / "replay.log")
    send(base, settings, "track", {"userId": user, "event": "Late", "messageId": f"late-{tag}"})
    dropped = """MATCH (s:Suppression) WHERE s.erasure_id = $e RETURN sum(s.dropped) AS n"""
    wait(lambda: query(settings, dropped, e=erased_id(settings, customer_id))[0]["n"] >= 3)
    assert query(settings, gone, needles=needles) == []
    assert _customer(base, user) is None
    assert "suppressed" in (tmp_path / "replay.log").read_text()


def erased_id(settings: Settings, customer_id: str) -> str:
    """The erasure id the audit log keeps for a customer's erasure."""
    rows = query(
        settings,
        "MATCH (b:AuditBatch) WHERE $c IN b.customer_ids AND 'erasure' IN b.kinds "
        "RETURN b.entries AS entries",
        c=customer_id,
    )
    ids = [
        e["entry_id"]
        for row in rows
        for e in json.loads(row["entries"])
        if e["operation"] == "privacy.erase" and customer_id in e["customer_ids"]
    ]
    assert len(ids) == 1, rows
    entry: str = ids[0]
    return entry
