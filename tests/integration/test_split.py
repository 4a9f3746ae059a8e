"""Unmerge against the real Neo4j: a correction splits one customer, and it sticks."""

from __future__ import annotations

import uuid

import pytest
from neo4j import AsyncDriver

from graph.model import Correction, EventData, Identifier, Observation
from graph.repository import (
    IdentityRepository,
    ProfileRepository,
    SplitRepository,
    TraitRepository,
)
from graphcdp.cli import main
from matching.deterministic import resolve
from matching.rules import DEFAULT_RULES
from resolvers.identity.operations import split_customer
from traits.computed import DEFAULT_TRAITS


def _record(record_id: str, day: int, *idents: Identifier, **golden: str) -> Observation:
    ts = f"2026-02-{day:02d}T00:00:00.000Z"
    return Observation(record_id, "crm", ts, ts, idents, golden=golden)


def _event(event_id: str, day: int, ident: Identifier) -> Observation:
    ts = f"2026-02-{day:02d}T12:00:00.000Z"
    return Observation(event_id, "web", ts, ts, (ident,), kind="track",
                       event=EventData("track", "Viewed"), always_record=False)  # fmt: skip


async def test_detaching_a_shared_email_splits_the_customer_and_keeps_the_parts_apart(
    driver: AsyncDriver,
) -> None:
    tag = uuid.uuid4().hex[:10]
    ann = Identifier.of("user_id", f"ann-{tag}")
    crm = Identifier.of("crm_id", f"C-{tag}")
    shared = Identifier.of("email", f"shared-{tag}@example.org")
    repo = IdentityRepository(driver, "neo4j")
    await repo.apply([_record(f"{tag}-1", 1, ann, shared, first_name="Ann")], resolve)
    fused = await repo.apply([_record(f"{tag}-2", 2, crm, shared, city="Leeds")], resolve)
    customer = fused.written[f"{tag}-2"]
    await repo.apply([_event(f"{tag}-e{n}", 3 + n, ann) for n in range(3)], resolve)
    await repo.apply([_event(f"{tag}-c1", 9, crm)], resolve)

    plan = await split_customer(
        SplitRepository(driver, "neo4j"), None, customer,
        Correction("identifier", identifier=shared.key), DEFAULT_RULES, "test:ops", "two people",
        traits=(TraitRepository(driver, "neo4j"), DEFAULT_TRAITS),
    )  # fmt: skip
    assert plan is not None
    assert plan.split
    keeper = next(p for p in plan.parts if not p.new)
    new = next(p for p in plan.parts if p.new)
    assert (keeper.customer_id, keeper.record_ids, keeper.events) == (customer, (f"{tag}-1",), 3)
    assert (new.record_ids, new.events) == ((f"{tag}-2",), 1)
    rows, _, _ = await driver.execute_query(
        "MATCH (c:Customer)-[:PERFORMED]->(e:Event) WHERE e.event_id STARTS WITH $tag "
        "RETURN c.customer_id AS c, collect(e.event_id) AS events",
        tag=tag,
    )
    events = {r["c"]: sorted(r["events"]) for r in rows}
    assert events == {customer: [f"{tag}-e0", f"{tag}-e1", f"{tag}-e2"],
                      new.customer_id: [f"{tag}-c1"]}  # fmt: skip
    reads = ProfileRepository(driver, "neo4j")
    split_off = await reads.profile(new.customer_id)
    assert split_off is not None
    assert split_off.customer["city"] == "Leeds"
    assert split_off.customer["split_from"] == customer
    assert split_off.customer["event_count"] == 1  # traits rebuilt from the part's events
    assert split_off.identifiers == [{"key": crm.key, "type": "crm_id", "value": crm.value}]
    kept = await reads.profile(customer)
    assert kept is not None
    assert "city" not in kept.customer
    assert kept.customer["event_count"] == 3
    history = await reads.history(customer, 10)
    assert [h["kind"] for h in history] == ["split"]  # the records joined, never merged
    latest = history[0]
    assert (latest["cause"], latest["actor"], latest["detail"], latest["identifier"]) == (
        "operator",
        "test:ops",
        "two people",
        shared.key,
    )
    assert (latest["kept"], latest["split_off"]) == ([customer], [new.customer_id])
    removed, _, _ = await driver.execute_query(
        "MATCH (r:Record)-[h:HAD_IDENTIFIER]->(:Identifier {key: $key}) RETURN count(h) AS n",
        key=shared.key,
    )
    assert removed[0]["n"] == 2
    # A later record naming both ids does not fuse them again: the operator kept them apart.
    later = await repo.apply([_record(f"{tag}-3", 20, ann, crm)], resolve)
    assert later.merges == ()
    assert later.conflicts == 1
    conflicts = await reads.conflicts("", 5, customer)
    assert conflicts[0]["reason"] == "kept_apart"


def test_the_cli_refuses_an_unknown_customer_and_a_bad_identifier(
    capsys: pytest.CaptureFixture[str],
) -> None:
    missing = main(["identity", "split", "--customer", "cus_nobody", "--record", "r1"])
    assert missing == 2
    assert "no live customer cus_nobody" in capsys.readouterr().err
    bad = main(["identity", "split", "--customer", "c", "--identifier", "fax:123"])
    assert bad == 2
    assert "expected type:value" in capsys.readouterr().err
