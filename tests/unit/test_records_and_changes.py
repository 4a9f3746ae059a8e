from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from graph.repository import WriteResult
from ingest.records import record_observation
from ingest.spec import InvalidEvent
from ingest.worker import changes
from privacy.retention import Retention


def test_a_record_row_becomes_an_observation_with_all_its_identifiers() -> None:
    obs = record_observation(
        {
            "record_id": "crm-1",
            "source": "crm",
            "first_name": " Ada ",
            "email": "ADA@x.co",
            "phone": "+44 20 7946 0018",
            "crm_id": "C-1",
            "device_id": "dev-1",
            "dob": "1815-12-10",
            "city": "London",
            "loyalty": "gold",
        }
    )
    assert obs.record_id == "crm-1"
    assert obs.kind == "record"
    assert obs.event is None
    assert obs.always_record is True
    assert {i.key for i in obs.identifiers} == {
        "email:ada@x.co",
        "phone:+442079460018",
        "crm_id:C-1",
        "device_id:dev-1",
    }
    assert obs.golden["first_name"] == "Ada"
    assert obs.golden["dob"] == "1815-12-10"
    assert json.loads(obs.attributes_json)["loyalty"] == "gold"


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ({"source": "crm", "email": "a@b.co"}, "record_id"),
        ({"record_id": "r", "email": "a@b.co"}, "source"),
        ({"record_id": "r", "source": "crm", "email": "broken"}, "email"),
        ({"record_id": "r", "source": "crm", "city": "Paris"}, "email"),
    ],
)
def test_record_rows_without_id_source_or_identifier_are_rejected(
    row: dict[str, str], field: str
) -> None:
    with pytest.raises(InvalidEvent) as err:
        record_observation(row)
    assert err.value.field == field


def test_changes_name_created_updated_and_merged_customers() -> None:
    result = WriteResult(
        written={"r1": "cus_new", "r2": "cus_old"},
        events={"e1": "cus_old", "e2": "cus_old"},
        created=("cus_new",),
        merges=(("cus_old", "cus_gone"),),
        skipped=(),
    )
    out = changes(result, "T")
    assert out == [
        (
            "cus_old",
            {"type": "customer.merged", "customer_id": "cus_old", "merged": "cus_gone", "at": "T"},
        ),
        (
            "cus_new",
            {
                "type": "customer.created",
                "customer_id": "cus_new",
                "records": 1,
                "events": 0,
                "at": "T",
            },
        ),
        (
            "cus_old",
            {
                "type": "customer.updated",
                "customer_id": "cus_old",
                "records": 1,
                "events": 2,
                "at": "T",
            },
        ),
    ]


def test_replayed_messages_publish_their_customers_change_again() -> None:
    # The batch that applied them may have died between its commit and its publish.
    result = WriteResult(
        written={},
        events={"e1": "cus_a"},
        created=(),
        merges=(),
        skipped=("r9", "e8", "e7"),
        replayed_records={"r9": "cus_b", "e7": "cus_b"},  # e7: an identify, Record and Event
        replayed_events={"e8": "cus_a", "e7": "cus_b"},
    )
    assert changes(result, "T") == [
        ("cus_a", {"type": "customer.updated", "customer_id": "cus_a", "records": 0,
                   "events": 2, "replayed": 1, "at": "T"}),
        ("cus_b", {"type": "customer.updated", "customer_id": "cus_b", "records": 2,
                   "events": 1, "replayed": 2, "at": "T"}),
    ]  # fmt: skip
    # A batch of replays alone still tells the followers.
    only = WriteResult({}, {}, (), (), ("e8",), replayed_events={"e8": "cus_a"})
    assert [key for key, _ in changes(only, "T")] == ["cus_a"]


def _message(topic: str, body: object, offset: int = 0) -> object:
    from aiokafka import ConsumerRecord

    value = body if isinstance(body, bytes) else json.dumps(body).encode()
    return ConsumerRecord(topic, 0, offset, 0, 0, b"k", value, None, 1, len(value), [])


def test_parse_batch_splits_dead_letters_dedupes_and_expires_old_events() -> None:
    from ingest.worker import parse_batch

    env = {"source": "web", "receivedAt": "2026-11-27T00:00:00.000Z"}
    messages = [
        _message("cdp.events", {"type": "track", "event": "Old", "userId": "u", "messageId": "m1",
                                "timestamp": "2020-01-01T00:00:00Z", "_graphcdp": env}),
        _message("cdp.events", {"type": "track", "event": "New", "userId": "u", "messageId": "m2",
                                "_graphcdp": env}),
        _message("cdp.events", {"type": "track", "event": "New", "userId": "u", "messageId": "m2",
                                "_graphcdp": env}),
        _message("cdp.events", b"{broken", 7),
        _message("cdp.records", {"record_id": "r1", "source": "crm", "email": "a@b.co"}),
    ]  # fmt: skip
    retention = Retention.parse("event:Kept=3650", 90)  # "Old" is past 90 days, "Kept" is not
    messages.append(_message("cdp.events", {"type": "track", "event": "Kept", "userId": "u",
                                            "messageId": "m3", "timestamp": "2020-01-01T00:00:00Z",
                                            "_graphcdp": env}))  # fmt: skip
    now = datetime(2026, 11, 27, tzinfo=UTC)
    parsed = parse_batch(messages, "cdp.records", retention=retention, now=now)  # type: ignore[arg-type]
    assert [o.record_id for o in parsed.observations] == ["m1", "m2", "r1", "m3"]
    assert parsed.observations[3].event is not None
    assert parsed.observations[0].event is None  # expired: identity kept, no Event node
    assert parsed.observations[1].event is not None
    assert parsed.expired == 1
    assert [(m.offset, e.split(" (")[0]) for m, e in parsed.dead] == [(7, "body: not valid JSON")]


async def test_a_batch_parsed_in_chunks_gives_the_loop_back_and_parses_as_in_one_piece() -> None:
    import asyncio

    from ingest.worker import parse_batch, parse_batch_yielding

    env = {"source": "web", "receivedAt": "2026-11-27T00:00:00.000Z"}
    messages = [
        _message("cdp.events", {"type": "track", "event": "E", "userId": f"u{i % 7}",
                                "messageId": f"m{i % 40}", "_graphcdp": env}, i)
        for i in range(50)
    ]  # fmt: skip
    messages[13] = _message("cdp.events", b"[1]", 13)  # a dead letter in the second chunk
    turns = 0

    async def other_task() -> None:
        nonlocal turns
        while True:
            turns += 1
            await asyncio.sleep(0)

    beside = asyncio.create_task(other_task())
    await asyncio.sleep(0)
    turns = 0
    chunked = await parse_batch_yielding(messages, "cdp.records", chunk=10)  # type: ignore[arg-type]
    beside.cancel()
    whole = parse_batch(messages, "cdp.records")  # type: ignore[arg-type]
    assert turns >= 4  # the other task ran between the five chunks
    assert chunked.observations == whole.observations
    # m0..m39 once each (m0..m9 come again in the last chunk), m13 dead
    assert [o.record_id for o in chunked.observations] == [f"m{i}" for i in range(40) if i != 13]
    assert [(m.offset, e) for m, e in chunked.dead] == [(m.offset, e) for m, e in whole.dead]
    assert [m.offset for m, _ in chunked.dead] == [13]


async def test_a_batch_that_fails_is_applied_in_parts_and_only_its_bad_message_dead_letters() -> (
    None
):
    import asyncio

    from neo4j.exceptions import ServiceUnavailable

    from graph.model import Observation
    from ingest.worker import apply_isolating

    batch = [Observation(f"m{i}", "web", "t", "t", ()) for i in range(8)]
    applied: list[list[str]] = []

    async def apply(part: list[Observation]) -> WriteResult:
        ids = [o.record_id for o in part]
        if "m5" in ids:  # a value the database refuses: the whole transaction fails
            raise UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogates not allowed")
        applied.append(ids)
        return WriteResult({i: "c" for i in ids}, {}, (), (), ())

    result, poisoned = await apply_isolating(apply, batch, asyncio.Event())
    assert [o.record_id for o, _ in poisoned] == ["m5"]
    assert "UnicodeEncodeError" in poisoned[0][1]
    assert [i for part in applied for i in part] == ["m0", "m1", "m2", "m3", "m4", "m6", "m7"]
    assert list(result.written) == ["m0", "m1", "m2", "m3", "m4", "m6", "m7"]

    async def down(part: list[Observation]) -> WriteResult:
        raise ServiceUnavailable("neo4j is restarting")

    stopping = asyncio.Event()
    stopping.set()  # while stopping, an unavailable server is not the messages' fault
    with pytest.raises(ServiceUnavailable):
        await apply_isolating(down, batch, stopping)
