"""Activation's pure parts and one sync over a fake store and fake senders: configuration
checks, chosen and hashed fields, the signature, backoff, the rate limit, retries, dead
letters, the starting audience, the cursor and the lease."""

from __future__ import annotations

import hashlib
import hmac
import json
import random
from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from activation.delivery import DeliveryError, KafkaSender, Senders
from activation.model import (
    Delta,
    Destination,
    InvalidDestination,
    TokenBucket,
    backoff,
    body,
    check_config,
    choose,
    signature,
)
from activation.sync import run_sync

pytestmark = pytest.mark.unit


def test_destinations_need_their_settings() -> None:
    assert check_config("webhook", {"url": "https://hooks.example/x"}) == {
        "url": "https://hooks.example/x"
    }
    assert check_config("file", {"directory": "/tmp/out", "format": "PARQUET"}) == {
        "directory": "/tmp/out", "format": "parquet",
    }  # fmt: skip
    for kind, config, field in [
        ("webhook", {"url": "ftp://x"}, "url"),
        ("kafka", {"topic": "bad topic"}, "topic"),
        ("file", {"directory": "relative"}, "directory"),
        ("file", {"directory": "/tmp", "format": "xls"}, "format"),
        ("email", {}, "kind"),
    ]:
        with pytest.raises(InvalidDestination) as err:
            check_config(kind, config)
        assert err.value.field == field


def test_only_the_chosen_fields_travel_and_identifiers_can_be_hashed() -> None:
    customer = {"email": " Kim@Example.com", "phone": "+14155550199", "city": "Oslo", "x": 1}
    assert choose(customer, ["city", "email", "missing"], False) == {
        "city": "Oslo", "email": " Kim@Example.com",
    }  # fmt: skip
    hashed = choose(customer, ["email", "city"], True)
    assert hashed == {"email_sha256": hashlib.sha256(b"kim@example.com").hexdigest(),
                      "city": "Oslo"}  # fmt: skip
    assert choose(None, ["city"], True) == {}


def test_the_signature_is_the_hmac_of_the_exact_body() -> None:
    payload = body("s1", "d1", [Delta(3, "enter", "c1", "t", {"city": "Oslo"})], "d1:s1:3-3")
    parsed = json.loads(payload)
    assert parsed["deltas"] == [{"type": "enter", "customer_id": "c1", "at": "t", "seq": 3,
                                 "fields": {"city": "Oslo"}}]  # fmt: skip
    expected = hmac.new(b"k", payload, hashlib.sha256).hexdigest()
    assert signature("k", payload) == f"sha256={expected}"


def test_backoff_grows_with_jitter_and_a_cap_and_the_bucket_limits_the_rate() -> None:
    rng = random.Random(1)
    waits = [backoff(n, rng=rng) for n in range(1, 8)]
    assert 0.25 <= waits[0] <= 0.5
    assert 1.0 <= waits[2] <= 2.0
    assert all(4.0 <= w <= 8.0 for w in waits[4:])
    bucket = TokenBucket(rate=2.0, burst=2.0, tokens=2.0)
    assert bucket.wait(100.0) == 0.0
    assert bucket.wait(100.0) == 0.0
    assert bucket.wait(100.0) == pytest.approx(0.5)


class Store:
    """An activation store in memory: one activation, its segment's changes and members."""

    def __init__(self, changes: list[dict[str, Any]], members: list[str], initial: bool) -> None:
        self.changes, self.members, self.initial = changes, members, initial
        self.cursor, self.lease = 0, False
        self.finished: list[tuple[dict[str, Any], int, bool]] = []
        self.refused: set[str] = set()  # customers whose consent does not allow a send
        # (recorded_at, customer id) of members' consent changes; the consent cursor and now.
        self.consents: list[tuple[str, str]] = []
        self.consent_cursor, self.now = "t0", "t0"
        self.purposes: list[str] = []  # the purpose of each read

    async def claim(self, segment_id: str, destination_id: str, owner: str,
                    lease_seconds: int) -> dict[str, Any] | None:  # fmt: skip
        if self.lease:
            return None
        self.lease = True
        destination = {
            "destination_id": destination_id, "name": "d", "kind": "webhook", "secret": "k",
            "config": json.dumps({"url": "http://x"}), "hash_identifiers": False,
            "rate_limit": 1000.0, "max_attempts": 3,
        }  # fmt: skip
        return {"activation": {"mode": "realtime", "fields": ["city"], "cursor": self.cursor,
                               "initial": self.initial, "consent_cursor": self.consent_cursor},
                "destination": destination, "seq": len(self.changes),
                "consent_upto": self.now}  # fmt: skip

    async def audience(self, segment_id: str, after: str, limit: int,
                       purpose: str) -> list[dict[str, Any]]:  # fmt: skip
        self.purposes.append(purpose)
        return [{"customer_id": m, "customer": {"city": "Oslo"}, "allowed": m not in self.refused}
                for m in self.members if m > after][:limit]  # fmt: skip

    async def pending(self, segment_id: str, cursor: int, upto: int, limit: int,
                      purpose: str) -> list[dict[str, Any]]:  # fmt: skip
        self.purposes.append(purpose)
        return [c | {"allowed": c["customer_id"] not in self.refused}
                for c in self.changes if cursor < c["seq"] <= upto][:limit]  # fmt: skip

    async def consent_changes(self, segment_id: str, purpose: str, since: str,
                              upto: str) -> list[dict[str, Any]]:  # fmt: skip
        return [{"customer_id": c, "customer": {"city": "Oslo"}, "recorded_at": at,
                 "allowed": c not in self.refused}
                for at, c in self.consents if since < at <= upto]  # fmt: skip

    async def finish(self, segment_id: str, destination_id: str, owner: str,
                     run: dict[str, Any], cursor: int, initial_done: bool,
                     consent_cursor: str) -> None:  # fmt: skip
        self.finished.append((run, cursor, initial_done))
        self.consent_cursor = consent_cursor
        self.cursor, self.lease = cursor, False
        self.initial = self.initial and not initial_done


class Flaky:
    """A sender that fails ``failures`` times (``permanent`` or not), then delivers."""

    def __init__(self, failures: int, permanent: bool = False) -> None:
        self.failures, self.permanent = failures, permanent
        self.sent: list[tuple[str, list[Delta]]] = []
        self.tries = 0

    async def send(self, destination: Destination, segment_id: str, deltas: Sequence[Delta],
                   delivery: str) -> None:  # fmt: skip
        self.tries += 1
        if self.failures:
            self.failures -= 1
            raise DeliveryError("HTTP 503", self.permanent)
        self.sent.append((delivery, list(deltas)))


def _changes(n: int) -> list[dict[str, Any]]:
    return [{"seq": i, "kind": "enter" if i % 2 else "exit", "customer_id": f"c{i}",
             "at": f"t{i}", "customer": {"city": "Oslo"}} for i in range(1, n + 1)]  # fmt: skip


async def _sync(store: Store, sender: Flaky) -> tuple[Any, list[Mapping[str, object]]]:
    dead: list[Mapping[str, object]] = []
    waits: list[float] = []

    async def dead_letter(record: Mapping[str, object]) -> None:
        dead.append(record)

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    senders = Senders(sender, sender, sender)
    run = await run_sync(store, senders, "s1", "d1", "me", lambda: "now", dead_letter,
                         sleep=sleep)  # fmt: skip
    return run, dead


async def test_a_sync_sends_the_starting_audience_then_each_change_once() -> None:
    store, sender = Store(_changes(3), ["a", "b"], initial=True), Flaky(0)
    run, dead = await _sync(store, sender)
    assert dead == []
    # The audience as enter deltas; the changes so far are in it (cursor jumps to seq 3).
    [(delivery, deltas)] = sender.sent
    assert delivery == "d1:s1:initial:-"
    assert [(d.kind, d.customer_id, d.fields) for d in deltas] == [
        ("enter", "a", {"city": "Oslo"}), ("enter", "b", {"city": "Oslo"})]  # fmt: skip
    assert (run.entered, run.exited, store.cursor, store.initial) == (2, 0, 3, False)
    store.changes += _changes(5)[3:]
    run, _ = await _sync(store, sender)
    assert [d.seq for d in sender.sent[-1][1]] == [4, 5]
    assert [d.fields for d in sender.sent[-1][1]] == [{}, {"city": "Oslo"}]  # exits carry no fields
    assert (run.entered, run.exited, store.cursor) == (1, 1, 5)
    assert sender.sent[-1][0] == "d1:s1:4-5"
    run, _ = await _sync(store, sender)
    assert (run.entered, run.exited, len(sender.sent)) == (0, 0, 2)  # nothing new, nothing sent


async def test_a_failing_destination_is_retried_then_dead_lettered_and_passed() -> None:
    store = Store(_changes(2), [], initial=False)
    run, dead = await _sync(store, Flaky(2))  # fails twice, the third try delivers
    assert (run.entered, run.exited, run.failed, dead) == (1, 1, 0, [])
    store.changes += _changes(3)[2:]
    sender = Flaky(5)
    run, dead = await _sync(store, sender)  # three tries, then a dead letter
    assert sender.tries == 3
    assert (run.failed, store.cursor) == (1, 3)
    assert run.errors == ["after 3 attempt(s): HTTP 503"]
    assert dead[0]["delivery_id"] == "d1:s1:3-3"
    store.changes += _changes(4)[3:]
    sender = Flaky(1, permanent=True)  # a 4xx: no retry
    run, dead = await _sync(store, sender)
    assert (sender.tries, run.failed) == (1, 1)


async def test_enters_without_consent_are_withheld_and_exits_always_go() -> None:
    store, sender = Store(_changes(4), ["a", "b", "c"], initial=True), Flaky(0)
    store.refused = {"b"}
    run, _ = await _sync(store, sender)
    assert [d.customer_id for d in sender.sent[0][1]] == ["a", "c"]
    assert (run.entered, run.withheld, set(store.purposes)) == (2, 1, {"marketing"})
    store.changes += _changes(8)[4:]  # c5 enter, c6 exit, c7 enter, c8 exit
    store.refused = {"c5", "c6", "c7", "c8"}
    run, _ = await _sync(store, sender)
    assert [(d.kind, d.customer_id) for d in sender.sent[-1][1]] == [("exit", "c6"), ("exit", "c8")]
    assert (run.entered, run.exited, run.withheld, store.cursor) == (0, 2, 2, 8)
    store.changes += _changes(9)[8:]
    store.refused.add("c9")
    sends = len(sender.sent)
    run, _ = await _sync(store, sender)  # a batch of withheld enters only: nothing is sent
    assert (len(sender.sent), run.withheld, store.cursor) == (sends, 1, 9)


async def test_a_member_whose_consent_changes_is_sent_again_as_enter_or_exit() -> None:
    store, sender = Store([], ["a", "b"], initial=False), Flaky(0)
    store.consents, store.now = [("t1", "a"), ("t2", "b"), ("t9", "a")], "t5"
    store.refused = {"b"}  # a granted, b withdrew; a's change at t9 is not settled yet
    run, _ = await _sync(store, sender)
    [(delivery, deltas)] = sender.sent
    assert [(d.kind, d.customer_id, d.fields) for d in deltas] == [
        ("enter", "a", {"city": "Oslo"}), ("exit", "b", {})]  # fmt: skip
    assert delivery == "d1:s1:consent:t1:b"
    assert (run.entered, run.exited, store.consent_cursor) == (1, 1, "t5")
    store.now = "t9"
    await _sync(store, sender)
    assert [(d.kind, d.customer_id) for d in sender.sent[-1][1]] == [("enter", "a")]
    await _sync(store, sender)  # nothing new
    assert len(sender.sent) == 2


async def test_a_held_lease_means_busy() -> None:
    store = Store(_changes(1), [], initial=False)
    store.lease = True
    run, _ = await _sync(store, Flaky(0))
    assert run is None


async def test_a_kafka_destination_gets_one_message_per_delta_keyed_by_customer() -> None:
    produced: list[tuple[str, bytes, bytes]] = []

    async def produce(topic: str, value: bytes, key: bytes) -> None:
        produced.append((topic, value, key))

    d = Destination("d1", "k", "kafka", {"topic": "crm.audience"})
    await KafkaSender(produce).send(d, "s1", [Delta(1, "enter", "c1", "t"),
                                              Delta(2, "exit", "c2", "t")], "x")  # fmt: skip
    assert [(t, k) for t, _, k in produced] == [("crm.audience", b"c1"), ("crm.audience", b"c2")]
    assert json.loads(produced[1][1])["type"] == "exit"
