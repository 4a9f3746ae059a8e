"""Audit entries: what a request touched becomes one entry (no values), written in batches."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Iterator, Sequence
from typing import Any, cast

import pytest

from graph.repository import Profile
from matching.rules import DEFAULT_RULES
from resolvers.audit.trail import Access, AuditLog, audit_row
from resolvers.audit.types import cursor_of, parse_cursor
from resolvers.context import Context
from resolvers.schema import schema

pytestmark = pytest.mark.unit


class Store:
    """The audit store: keeps the batches it was given; fails when told to."""

    def __init__(self, delay: float = 0.0) -> None:
        self.batches: list[list[dict[str, Any]]] = []
        self.fail = False
        self.delay = delay

    async def write(
        self, rows: Sequence[dict[str, Any]], encoded: Sequence[str] | None = None
    ) -> int:
        # the log hands each row's JSON beside it, encoded when it was recorded
        assert encoded is not None
        assert [json.loads(text) for text in encoded] == list(rows)
        if self.fail:
            raise ConnectionError("neo4j away")
        await asyncio.sleep(self.delay)
        self.batches.append(list(rows))
        return len(rows)


def test_what_a_request_is_audited_as() -> None:
    assert Access().kind(mutation=False) is None
    assert Access(calls=["Query.customer"]).kind(mutation=False) is None
    assert Access(calls=["Mutation.splitCustomer"]).kind(mutation=True) == "mutation"
    assert Access(pii_fields={"Customer.email"}).kind(mutation=False) == "pii_read"
    assert Access(denied=["Query.auditLog"]).kind(mutation=False) == "forbidden"
    assert Access(denied=["Mutation.splitCustomer"]).kind(mutation=True) == "forbidden"


def test_an_entry_names_fields_and_customers_never_values() -> None:
    access = Access()
    access.call("Query.customer", ["cus_1"])
    access.read_pii("Customer.email", ["cus_1"])
    row = audit_row(access, "pii_read", "key:crm", "marketer", "Profile", "2026-01-01T00:00:00Z")
    assert row["entry_id"].startswith("aud_")
    assert {k: v for k, v in row.items() if k != "entry_id"} == {
        "at": "2026-01-01T00:00:00Z", "actor": "key:crm", "role": "marketer",
        "operation": "Profile", "kind": "pii_read",
        "fields": ["Query.customer", "Customer.email"], "customer_ids": ["cus_1"],
    }  # fmt: skip


async def test_entries_are_written_in_batches_in_the_background() -> None:
    store = Store()
    log = AuditLog(store, interval=0.05, batch=3)
    async with log.running():
        for n in range(7):
            log.record({"entry_id": str(n)})
        await asyncio.sleep(0.2)
        assert [len(b) for b in store.batches] == [3, 3, 1]
        log.record({"entry_id": "last"})
    assert store.batches[-1] == [{"entry_id": "last"}]  # flushed on the way out
    assert log.pending == 0


async def test_a_failed_write_keeps_its_entries_for_the_next_flush() -> None:
    store = Store()
    log = AuditLog(store, batch=10, limit=4)
    for n in range(3):
        log.record({"entry_id": str(n)})
    store.fail = True
    assert await log.flush() == 0
    assert log.pending == 3
    for n in range(3, 6):
        log.record({"entry_id": str(n)})
    assert log.pending == 4  # beyond the limit the oldest go (and an error is logged)
    store.fail = False
    assert await log.flush() == 4
    assert [r["entry_id"] for r in store.batches[0]] == ["2", "3", "4", "5"]


async def test_entries_recorded_during_a_write_wait_for_the_next_flush() -> None:
    # Else a steady stream of reads keeps the writer in a loop of tiny transactions.
    store = Store(delay=0.05)
    log = AuditLog(store)
    log.record({"entry_id": "a"})
    flushing = asyncio.create_task(log.flush())
    await asyncio.sleep(0.01)  # the write is under way
    log.record({"entry_id": "b"})
    assert await flushing == 1
    assert store.batches == [[{"entry_id": "a"}]]
    assert log.pending == 1
    assert await log.flush() == 1
    assert store.batches[-1] == [{"entry_id": "b"}]


def test_cursors_round_trip_and_garbage_is_not_one() -> None:
    row = {"at": "2026-01-01T00:00:00.000Z", "entry_id": "aud_1"}
    assert parse_cursor(cursor_of(row)) == ("2026-01-01T00:00:00.000Z", "aud_1")
    assert parse_cursor("not a cursor!") is None
    assert parse_cursor("") is None


class Tripwire:
    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"not used: {name}")


class Profiles:
    async def profile(self, customer_id: str) -> Profile | None:
        return Profile({"customer_id": customer_id, "email": "kim@example.com",
                        "golden_provenance": json.dumps({})}, customer_id, [], [], 1)  # fmt: skip


def _context(role: str, log: AuditLog) -> Context:
    wire = cast(Any, Tripwire())
    return Context(
        profiles=wire, normalise=wire, rules=DEFAULT_RULES, settings=wire, splits=wire,
        changes=None, trait_store=wire, reviews=wire, traits=(),
        cached=cast(Any, Profiles()),
        related=wire, loaders=wire, hub=wire, search=wire, segments=wire, activations=wire,
        audit_entries=wire,
        actor=f"key:{role}", role=role,
        audit=log,
    )  # fmt: skip


async def test_the_schema_audits_pii_reads_mutations_and_refusals_only() -> None:
    store = Store()
    log = AuditLog(store)
    read = 'query Read { customer(id: "cus_1") { id email } }'
    await schema.execute(read, context_value=_context("admin", log))
    await schema.execute(read, context_value=_context("viewer", log))  # masked: not audited
    await schema.execute('{ customer(id: "cus_2") { id } }', context_value=_context("admin", log))
    await schema.execute('mutation Fix { setIdentityRules(yaml: "types: [") { __typename } }',
                         context_value=_context("admin", log))  # fmt: skip
    await schema.execute("{ auditLog { endCursor } }", context_value=_context("analyst", log))
    await log.flush()
    rows = [{k: r[k] for k in ("actor", "kind", "operation", "fields", "customer_ids")}
            for r in store.batches[0]]  # fmt: skip
    assert rows == [
        {"actor": "key:admin", "kind": "pii_read", "operation": "Read",
         "fields": ["Query.customer", "Customer.email"], "customer_ids": ["cus_1"]},
        {"actor": "key:admin", "kind": "mutation", "operation": "Fix",
         "fields": ["Mutation.setIdentityRules"], "customer_ids": []},
        {"actor": "key:analyst", "kind": "forbidden", "operation": "anonymous",
         "fields": ["Query.auditLog"], "customer_ids": []},
    ]  # fmt: skip


class Watch:
    def __init__(self) -> None:
        self.queue: asyncio.Queue[set[str]] = asyncio.Queue()

    def add(self, ids: set[str]) -> None:
        pass


class Hub:
    """The change hub: two changes are waiting."""

    def __init__(self) -> None:
        self.watching = Watch()
        for _ in range(2):
            self.watching.queue.put_nowait({"cus_1"})

    @contextlib.contextmanager
    def watch(self) -> Iterator[Watch]:
        yield self.watching


async def test_each_event_of_a_subscription_that_reads_pii_is_audited() -> None:
    store = Store()
    log = AuditLog(store)
    ctx = _context("admin", log)
    ctx.hub = cast(Any, Hub())
    stream = await schema.subscribe(
        'subscription Watch { customerChanged(id: "cus_1") { id email } }', context_value=ctx
    )
    assert hasattr(stream, "__anext__")
    for _ in range(2):
        event = await stream.__anext__()
        assert event.errors is None
        assert event.data == {"customerChanged": {"id": "cus_1", "email": "kim@example.com"}}
    await stream.aclose()
    await log.flush()
    rows = [(r["kind"], r["operation"], r["fields"], r["customer_ids"]) for r in store.batches[0]]
    entry = ("pii_read", "Watch", ["Subscription.customerChanged", "Customer.email"], ["cus_1"])
    assert rows == [entry, entry]
