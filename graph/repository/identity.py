"""Writing observations and resolving them into customers: one transaction per batch."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from neo4j import AsyncDriver, AsyncManagedTransaction, RoutingControl, unit_of_work

from graph.cypher import q
from graph.model import (
    Candidate,
    ExistingCustomer,
    GoldenUpdate,
    Identifier,
    MatchLink,
    Observation,
    Plan,
    TraitUpdate,
    now_iso,
)


class Planner(Protocol):
    """Resolution is pure logic (matching.deterministic.resolve); the repository only feeds
    it: the batch, the customers its identifiers lead to, what each of them holds, the
    identifier values an operator blocked, and (only when the repository is asked to find
    them) the probabilistic model's candidate records for each observation."""

    def __call__(
        self,
        batch: Sequence[Observation],
        existing: Mapping[str, list[ExistingCustomer]],
        holdings: Mapping[str, list[Identifier]],
        *,
        blocked_keys: frozenset[str] = ...,
        candidates: Mapping[str, list[Candidate]] = ...,
    ) -> Plan: ...


@dataclass(frozen=True)
class WriteResult:
    """What one batch changed: records and events written, customers created, merges."""

    written: dict[str, str]  # record_id -> customer_id, for Record nodes written
    events: dict[str, str]  # event_id -> customer_id, for Event nodes written
    created: tuple[str, ...]
    merges: tuple[tuple[str, str], ...]  # (survivor, loser)
    skipped: tuple[str, ...]  # ids already in the graph (replays)
    conflicts: int = 0  # links refused by the identity rules
    blocked: tuple[str, ...] = ()  # identifier keys with blocked values
    suppressed: tuple[str, ...] = ()  # ids of messages dropped: they name an erased person
    # Replays found before writing, with the customer each belongs to now: the batch that
    # applied them may have stopped before its changes were published, so they are published
    # again (ingest.worker.changes). record_id -> customer_id, and event_id -> customer_id.
    replayed_records: dict[str, str] = field(default_factory=dict)
    replayed_events: dict[str, str] = field(default_factory=dict)

    def then(self, later: WriteResult) -> WriteResult:
        """This batch's result followed by a later one's (a batch applied in parts)."""
        return WriteResult(
            written={**self.written, **later.written},
            events={**self.events, **later.events},
            created=self.created + later.created,
            merges=self.merges + later.merges,
            skipped=self.skipped + later.skipped,
            conflicts=self.conflicts + later.conflicts,
            blocked=self.blocked + later.blocked,
            suppressed=self.suppressed + later.suppressed,
            replayed_records={**self.replayed_records, **later.replayed_records},
            replayed_events={**self.replayed_events, **later.replayed_events},
        )

    @property
    def touched(self) -> set[str]:
        """Every live customer this batch changed."""
        return set(self.written.values()) | set(self.events.values())


class IdentifierHasher(Protocol):
    """Keyed hashes of identifier keys (privacy.suppression.Suppressor)."""

    def hashes(self, identifier_keys: Iterable[str]) -> Mapping[str, str]: ...


class _SuppressedMeanwhile(Exception):
    """An erasure committed while the batch waited for its identifier locks: start again."""


class _Recheck(Exception):
    """The batch went straight to its identifier locks and found a replayed message or an
    erased person's identifier there: start again, checking first (identity.find_seen)."""


class IdentityRepository:
    """Writes observations and resolves them into customers, one transaction per batch.

    With a ``suppressor`` (privacy.suppression), a message bearing an identifier of an erased
    person is dropped, counted on its Suppression, and reported in ``WriteResult.suppressed``.
    """

    def __init__(
        self, driver: AsyncDriver, database: str, suppressor: IdentifierHasher | None = None
    ) -> None:
        self._driver = driver
        self._database = database
        self._suppressor = suppressor

    async def seen(self, ids: Sequence[str]) -> set[str]:
        """Which of ``ids`` (message or record ids) are applied: a Record or an Event."""
        records, _, _ = await self._driver.execute_query(
            q("identity.find_seen").query(), ids=list(ids), hashes=[],
            database_=self._database, routing_=RoutingControl.READ,
        )  # fmt: skip
        return set(records[0]["seen"]) if records else set()

    async def apply(
        self, batch: Sequence[Observation], planner: Planner, *, candidates: bool = False
    ) -> WriteResult:
        """Lock the batch's identifiers, plan with what the graph holds, write; retried whole.

        The identifiers are write-locked first (sorted, to keep the lock order stable), so a
        concurrent batch that shares an identifier waits and then sees this one's customers.
        With ``candidates``, records sharing a blocking key with an observation are found
        (match.candidates), their customers locked and read, and passed to the planner.
        """
        hashes: dict[str, frozenset[str]] = {}
        if self._suppressor is not None:
            of = self._suppressor.hashes({i.key for o in batch for i in o.identifiers})
            hashes = {o.record_id: frozenset(of[i.key] for i in o.identifiers) for o in batch}
        check_first = False
        async with self._driver.session(database=self._database) as session:
            while True:
                try:
                    return await session.execute_write(
                        self._apply, list(batch), planner, candidates, hashes, check_first
                    )
                except (_SuppressedMeanwhile, _Recheck):
                    # The next attempt drops replays and erased people's messages before
                    # locking (and creating) their identifiers.
                    check_first = True

    @staticmethod
    @unit_of_work(metadata={"query": "identity.apply_batch"})
    async def _apply(
        tx: AsyncManagedTransaction,
        batch: list[Observation],
        planner: Planner,
        find: bool,
        hashes: Mapping[str, frozenset[str]],
        check_first: bool,
    ) -> WriteResult:
        now = now_iso()
        known: set[str] = set()
        dropped: tuple[str, ...] = ()
        again: dict[bool, dict[str, str]] = {True: {}, False: {}}  # record? -> id -> customer
        fresh = batch

        def nothing_written() -> WriteResult:
            return WriteResult(
                {}, {}, (), (), tuple(sorted(known)), suppressed=dropped,
                replayed_records=again[True], replayed_events=again[False],
            )  # fmt: skip

        if check_first:
            # Replays and erased people first: such a message must not even create
            # identifiers. Usually there are none, so the first attempt goes straight to the
            # locks, whose checks report them; it is then rolled back and this one runs.
            found = await tx.run(
                q("identity.find_seen").text, ids=[o.record_id for o in batch],
                hashes=sorted({h for hs in hashes.values() for h in hs}),
            )  # fmt: skip
            row = await found.single(strict=True)
            known = set(row["seen"])
            for replay in row["replays"]:
                for kind in (True, False):  # a Record, an Event (an identify call writes both)
                    if replay["record" if kind else "event"] and replay["customer_id"]:
                        again[kind][replay["id"]] = replay["customer_id"]
            dropped = await _drop_suppressed(tx, batch, known, hashes, set(row["suppressed"]), now)
            fresh = [o for o in batch if o.record_id not in known and o.record_id not in dropped]
            if not fresh:
                return nothing_written()
        idents = sorted({i for obs in fresh for i in obs.identifiers})
        locked = await tx.run(
            q("identity.lock_identifiers").text,
            identifiers=[{"key": i.key, "type": i.type, "value": i.value} for i in idents],
            ids=[o.record_id for o in fresh],
            hashes=sorted({h for o in fresh for h in hashes.get(o.record_id, ())}),
            now=now,
        )
        row = await locked.single(strict=True)
        if row["suppressed"]:
            raise _SuppressedMeanwhile()
        if row["seen"] and not check_first:
            raise _Recheck()  # the locks touched (last_seen) a replay's identifiers
        meanwhile = set(row["seen"])
        if meanwhile:
            known |= meanwhile
            fresh = [o for o in fresh if o.record_id not in meanwhile]
            if not fresh:
                return nothing_written()
        keys = [i.key for i in idents]
        found_candidates = await _candidates(tx, fresh) if find else {}
        linked = sorted({c.customer_id for cs in found_candidates.values() for c in cs})
        extra = linked
        # Lock the customers the keys lead to, then read them, until no unlocked customer
        # shows up: a merge or an attach by another worker has then fully happened or not at
        # all, so records and events never land on a customer that has just become a redirect.
        held_locks: set[str] = set()
        while True:
            cursor = await tx.run(
                q("identity.lock_customers").text, keys=keys if not held_locks else [],
                customer_ids=extra, now=now,
            )  # fmt: skip
            held_locks |= set((await cursor.single(strict=True))["locked"])
            existing, ops = await _reach(tx, keys, linked)
            extra = sorted({c.customer_id for cs in existing.values() for c in cs} - held_locks)
            if not extra:
                break
        holdings = await _holdings(tx, fresh, existing, found_candidates)
        if found_candidates:
            resolution = planner(
                fresh, existing, holdings, blocked_keys=ops, candidates=found_candidates
            )
        else:
            resolution = planner(fresh, existing, holdings, blocked_keys=ops)
        placed = resolution.assignments
        merges: list[dict[str, Any]] = [
            {"survivor": p.customer_id, "loser": loser, "actor": "resolver",
             "cause": "model" if p.merged_via[loser][1].startswith("model:") else "rule",
             "record_id": p.merged_via[loser][0], "identifier": p.merged_via[loser][1],
             "detail": None, "change_id": change_id("merge", p.customer_id, loser)}
            for p in placed
            for loser in p.merged
        ]  # fmt: skip
        if merges:
            await (
                await tx.run(q("identity.merge_customers").text, merges=merges, now=now)
            ).consume()
        owner = {rid: p.customer_id for p in placed for rid in p.record_ids}
        new_records = {rid for p in placed for rid in p.new_records}
        ordered = sorted(fresh, key=lambda o: o.timestamp)
        rows = [_row(o, owner[o.record_id]) for o in ordered if o.record_id in new_records]
        written: dict[str, str] = {}
        if rows:
            cursor = await tx.run(q("identity.write_records").text, rows=rows, now=now)
            written = {row["record_id"]: row["customer_id"] async for row in cursor}
        if resolution.matches:
            await (
                await tx.run(q("match.write_links").text, links=_links(resolution.matches),
                             now=now)
            ).consume()  # fmt: skip
        if resolution.golden:
            await (
                await tx.run(q("identity.write_golden").text, rows=golden_rows(resolution.golden))
            ).consume()
        with_events = [o for o in ordered if o.event is not None]
        events: dict[str, str] = {}
        if with_events:
            params = _event_params(with_events, owner)
            traits = trait_rows(resolution.traits) if resolution.traits else []
            await (
                await tx.run(q("event.write_events").text, **params, traits=traits, now=now)
            ).consume()
            if params["groups"]:
                await (
                    await tx.run(q("event.write_groups").text, groups=params["groups"], now=now)
                ).consume()
            events = {o.record_id: owner[o.record_id] for o in with_events}
        consents = consent_rows(ordered, owner)
        if consents:
            await (
                await tx.run(q("privacy.write_consents").text, consents=consents, now=now)
            ).consume()
        if resolution.traits and not with_events:
            await (
                await tx.run(
                    q("identity.write_traits").text, rows=trait_rows(resolution.traits), now=now
                )
            ).consume()
        flags = [
            {"key": k, "blocked": k in resolution.blocked, "over_degree": k in resolution.flagged}
            for k in sorted(resolution.blocked | resolution.flagged)
        ]
        if resolution.conflicts or flags:
            conflicts = [
                {"conflict_id": _conflict_id(n.record_id, n.identifier), "reason": n.reason,
                 "record_id": n.record_id, "identifier": n.identifier,
                 "customers": list(n.customers)}
                for n in resolution.conflicts
            ]  # fmt: skip
            await (
                await tx.run(
                    q("identity.write_conflicts").text, conflicts=conflicts, flags=flags, now=now
                )
            ).consume()
        return WriteResult(
            written=written,
            events=events,
            created=tuple(p.customer_id for p in placed if p.created),
            merges=tuple((m["survivor"], m["loser"]) for m in merges),
            skipped=tuple(sorted(known)),
            conflicts=len(resolution.conflicts),
            blocked=tuple(sorted(resolution.blocked)),
            suppressed=dropped,
            replayed_records=again[True],
            replayed_events=again[False],
        )


async def _drop_suppressed(
    tx: AsyncManagedTransaction,
    batch: Sequence[Observation],
    known: set[str],
    hashes: Mapping[str, frozenset[str]],
    suppressed: set[str],
    now: str,
) -> tuple[str, ...]:
    """The ids of the batch's new messages that bear a suppressed identifier; each drop is
    counted on its Suppressions (privacy.count_dropped)."""
    if not suppressed:
        return ()
    drops: dict[str, int] = {}
    dropped: list[str] = []
    for o in batch:
        hit = hashes.get(o.record_id, frozenset()) & suppressed
        if hit and o.record_id not in known:
            dropped.append(o.record_id)
            for h in hit:
                drops[h] = drops.get(h, 0) + 1
    if drops:
        rows = [{"hash": h, "messages": n} for h, n in sorted(drops.items())]
        await (await tx.run(q("privacy.count_dropped").text, drops=rows, now=now)).consume()
    return tuple(dropped)


async def _candidates(
    tx: AsyncManagedTransaction, batch: Sequence[Observation], per_record: int = 50
) -> dict[str, list[Candidate]]:
    """Records sharing a blocking key with each observation that has some (match.candidates)."""
    rows = [_lookup(o) for o in batch if o.blocking]
    if not rows:
        return {}
    cursor = await tx.run(q("match.candidates").text, rows=rows, per_record=per_record)
    found: dict[str, list[Candidate]] = {}
    async for r in cursor:
        found.setdefault(r["record_id"], []).append(
            Candidate(r["candidate"], r["golden"] or "{}", r["customer_id"])
        )
    return found


# The Record properties match.candidates seeks (matching.features.BLOCKING_RULES writes them).
_BLOCKING_PROPS = ("bk_email", "bk_phone", "bk_last_dob", "bk_names", "bk_post_last",
                   "bk_first_dob", "bk_post_dob", "bk_addr_city", "bk_first_post",
                   "bk_dob_city", "bk_addr_dob")  # fmt: skip


def _lookup(obs: Observation) -> dict[str, Any]:
    """A match.candidates row: every key (None when absent) and the names swapped
    (matching.features.swapped_names_key: "first|last" read as "last|first")."""
    keys: dict[str, Any] = {prop: None for prop in _BLOCKING_PROPS} | dict(obs.blocking)
    first, _, last = (keys["bk_names"] or "").partition("|")
    keys["bk_names_swapped"] = f"{last}|{first}" if first and last else None
    return {"record_id": obs.record_id, **keys}


def _links(matches: Sequence[MatchLink]) -> list[dict[str, Any]]:
    return [
        {"from": m.from_record, "to": m.to_record, "kind": m.kind, "probability": m.probability,
         "match_weight": m.match_weight, "model_version": m.model_version,
         "explanation": m.explanation_json}
        for m in matches
    ]  # fmt: skip


async def _reach(
    tx: AsyncManagedTransaction, keys: list[str], customer_ids: list[str]
) -> tuple[dict[str, list[ExistingCustomer]], frozenset[str]]:
    """The customers each key leads to (and each customer id, under ``customer:<id>``), and
    the keys an operator blocked."""
    cursor = await tx.run(
        q("identity.customers_for_identifiers").text, keys=keys, customer_ids=customer_ids
    )
    row = await cursor.single()
    if row is None:
        return {}, frozenset()
    customers = {
        c["customer_id"]: ExistingCustomer(
            c["customer_id"], c["created_at"], frozenset(c["first_names"]),
            frozenset(c["dobs"]), c["golden_stats"], c["trait_state"],
            frozenset(c["kept_apart"]),
        )
        for c in row["customers"]
    }  # fmt: skip
    existing = {k["key"]: [customers[c] for c in k["customers"]] for k in row["keys"]}
    blocked = frozenset(k["key"] for k in row["keys"] if k["operator_blocked"])
    return existing, blocked


async def _holdings(
    tx: AsyncManagedTransaction,
    batch: Sequence[Observation],
    existing: Mapping[str, list[ExistingCustomer]],
    candidates: Mapping[str, list[Candidate]],
) -> dict[str, list[Identifier]]:
    """What the reached customers hold, read in full only where resolution can use it.

    An observation whose identifiers all lead to one and the same customer is settled: it
    joins that customer, teaches it nothing and merges nothing, so the keys of the batch
    that lead to the customer are all resolution needs to know of it (a subset of what it
    holds). Every customer reached by an observation that is not settled (a key leading
    nowhere, or to two customers or more) is read in full (identity.holdings_of), so limits
    are checked against everything it holds.
    """
    partial: dict[str, set[str]] = {}
    full: set[str] = set()
    for obs in batch:
        reached: set[str] = set()
        unknown = False
        for ident in obs.identifiers:
            owners = existing.get(ident.key, [])
            unknown |= not owners
            for c in owners:
                reached.add(c.customer_id)
                partial.setdefault(c.customer_id, set()).add(ident.key)
        linked = {c.customer_id for c in candidates.get(obs.record_id, [])}
        if unknown or len(reached | linked) > 1:
            full |= reached | linked
    holdings = {c: [Identifier.from_key(k) for k in sorted(keys)] for c, keys in partial.items()}
    if full:
        cursor = await tx.run(q("identity.holdings_of").text, ids=sorted(full))
        async for row in cursor:
            holdings[row["customer_id"]] = [Identifier.from_key(k) for k in row["holds"]]
    return holdings


def consent_rows(
    observations: Sequence[Observation], owner: Mapping[str, str]
) -> list[dict[str, Any]]:
    """privacy.write_consents rows: the consent each observation states, on its customer."""
    return [
        {"change_id": f"{o.record_id}:{c.purpose}", "customer_id": owner[o.record_id],
         "purpose": c.purpose, "status": c.status, "at": c.at, "source": c.source,
         "expires_at": c.expires_at, "record_id": o.record_id}
        for o in observations
        for c in o.consents
    ]  # fmt: skip


def trait_rows(updates: Mapping[str, TraitUpdate]) -> list[dict[str, Any]]:
    """Parameters of ``identity.write_traits``."""
    return [
        {"customer_id": customer_id, "values": dict(u.values), "state": u.state_json,
         "expires": u.expires}
        for customer_id, u in sorted(updates.items())
    ]  # fmt: skip


def golden_rows(
    updates: Mapping[str, GoldenUpdate], clear: Sequence[str] = ()
) -> list[dict[str, Any]]:
    """Parameters of ``identity.write_golden``; ``clear`` names attributes to drop if absent."""
    return [
        {"customer_id": customer_id, "values": dict(u.values), "provenance": u.provenance_json,
         "stats": u.stats_json, "clear": {a: None for a in clear if a not in u.values}}
        for customer_id, u in sorted(updates.items())
    ]  # fmt: skip


def change_id(kind: str, *parts: str) -> str:
    """A stable id for an identity change (a replayed merge finds the same node)."""
    return "chg_" + hashlib.sha1("|".join((kind, *parts)).encode()).hexdigest()[:20]  # noqa: S324


def _conflict_id(record_id: str, identifier: str) -> str:
    return "conf_" + hashlib.sha1(f"{record_id}|{identifier}".encode()).hexdigest()[:20]  # noqa: S324


def _devices(obs: Observation) -> list[dict[str, Any]]:
    return [
        {
            "device_id": d.device_id,
            "kind": d.kind,
            "os": d.os,
            "user_agent": d.user_agent,
            "browser": d.browser,
        }
        for d in obs.devices
    ]


def _event_params(observations: list[Observation], owner: dict[str, str]) -> dict[str, Any]:
    """The parameters of ``event.write_events``: devices and customers aggregated per batch."""
    devices: dict[tuple[str, str], dict[str, Any]] = {}
    customers: dict[str, str] = {}
    events: list[dict[str, Any]] = []
    groups: list[dict[str, Any]] = []
    for obs in observations:
        event = obs.event
        if event is None:
            continue
        customer_id = owner[obs.record_id]
        ts = obs.timestamp
        customers[customer_id] = max(customers.get(customer_id, ""), ts)
        for d in obs.devices:
            row = devices.setdefault(
                (customer_id, d.device_id),
                {"customer_id": customer_id, "device_id": d.device_id, "kind": d.kind,
                 "os": d.os, "user_agent": d.user_agent, "browser": d.browser,
                 "first_seen": ts, "last_seen": ts},
            )  # fmt: skip
            row["first_seen"], row["last_seen"] = (
                min(row["first_seen"], ts),
                max(row["last_seen"], ts),
            )
        via = next((i.key for i in obs.identifiers if i.type == "user_id"), None) or next(
            (i.key for i in obs.identifiers), None
        )
        props = {
            "event_id": obs.record_id, "type": event.type, "name": event.name,
            "timestamp": ts, "received_at": obs.received_at, "source": obs.source,
            "properties": event.properties_json, "via": via, **event.utm,
            "plan_violations": event.violations_json, "plan_version": event.plan_version,
        }  # fmt: skip
        events.append({
            "customer_id": customer_id,
            "event": {k: v for k, v in props.items() if v is not None},
            "device_ids": [d.device_id for d in obs.devices],
        })  # fmt: skip
        if event.group_id:
            groups.append({"customer_id": customer_id, "group_id": event.group_id,
                           "traits": dict(event.group_traits)})  # fmt: skip
    return {
        "devices": list(devices.values()),
        "events": events,
        "customers": [{"customer_id": c, "last_seen_at": t} for c, t in customers.items()],
        "groups": groups,
    }


def _row(obs: Observation, customer_id: str) -> dict[str, Any]:
    names, dobs = obs.person()
    return {
        "first_names": sorted(names),
        "dobs": sorted(dobs),
        "golden_json": dumps(obs.golden),
        "blocking": dict(obs.blocking),
        "customer_id": customer_id,
        "record_id": obs.record_id,
        "source": obs.source,
        "kind": obs.kind,
        "received_at": obs.received_at,
        "timestamp": obs.timestamp,
        "attributes": obs.attributes_json,
        "identifier_keys": [i.key for i in obs.identifiers],
        "devices": _devices(obs),
    }


def dumps(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True, default=str)
