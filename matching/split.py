"""Unmerge: an operator's correction of one customer, re-resolved within that customer only.

Pure logic. The operator removes one record-identifier link, detaches an identifier from the
whole customer, detaches a record, or blocks an identifier value. The customer's records are
then resolved again from scratch, in time order, under the same identity rules (with the
correction applied), and each part becomes a customer: the part holding most of the history
(records and the events that came through its identifiers) keeps the old id, the others get
new ids derived from it, so replaying the same split gives the same ids. The parts are kept
apart from then on: the resolver refuses to merge them again (``kept_apart``), whatever later
records say, until an operator decides otherwise.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence

from graph.model import (
    ClusterRecord,
    Correction,
    GoldenUpdate,
    Observation,
    Part,
    SplitPlan,
)
from matching.deterministic import resolve
from matching.rules import IdentityRules
from matching.survivorship import StatedRecord, dumps, golden, stats_of

_SPLIT_NS = uuid.UUID("8d1c7f0e-4b9e-4a53-9f0e-5f3b2d0a6c21")


class SplitError(ValueError):
    """A correction that does not apply to this customer; the message says why."""


def plan_split(
    customer_id: str,
    records: Sequence[ClusterRecord],
    events_by_via: Mapping[str, int],
    correction: Correction,
    rules: IdentityRules,
) -> SplitPlan:
    """The parts the customer falls into once ``correction`` is applied.

    Args:
        customer_id: the live customer being corrected.
        records: all its records.
        events_by_via: how many of its events came through each identifier key.
        correction: what the operator changes.
        rules: the identity rules (with the values operators already blocked).

    Raises:
        SplitError: the record, identifier or link is not the customer's.
    """
    held = {i.key for r in records for i in r.identifiers}
    by_id = {r.record_id: r for r in records}
    removed: list[tuple[str, str]] = []
    detached: list[str] = []
    blocked: list[str] = []
    if correction.kind in ("link", "record") and correction.record_id not in by_id:
        raise SplitError(f"record {correction.record_id} does not belong to {customer_id}")
    if correction.kind in ("link", "identifier", "block") and correction.identifier not in held:
        raise SplitError(f"{customer_id} holds no identifier {correction.identifier}")
    if correction.kind == "link":
        record = by_id[str(correction.record_id)]
        if correction.identifier not in {i.key for i in record.identifiers}:
            raise SplitError(
                f"record {correction.record_id} holds no identifier {correction.identifier}"
            )
        removed.append((record.record_id, str(correction.identifier)))
    elif correction.kind == "identifier":
        removed = [
            (r.record_id, str(correction.identifier))
            for r in records
            if correction.identifier in {i.key for i in r.identifiers}
        ]
    elif correction.kind == "record":
        detached.append(str(correction.record_id))
    else:
        blocked.append(str(correction.identifier))
    gone = set(removed)
    active = {
        r.record_id: tuple(i for i in r.identifiers if (r.record_id, i.key) not in gone)
        for r in records
    }
    ordered = sorted(records, key=lambda r: (r.timestamp, r.record_id))
    alone = {r.record_id for r in records if r.detached} | set(detached)
    linking = [
        Observation(r.record_id, r.source, r.timestamp, r.timestamp, active[r.record_id],
                    golden=dict(r.golden))
        for r in ordered
        if r.record_id not in alone
    ]  # fmt: skip
    plan = resolve(linking, {}, {}, rules.blocking(blocked))
    groups = [list(a.record_ids) for a in plan.assignments]
    groups += [[r.record_id] for r in ordered if r.record_id in alone]
    # Events follow the part whose records hold the identifier they came through.
    holder: dict[str, int] = {}
    for n, group in enumerate(groups):
        for rid in group:
            for ident in active[rid]:
                holder.setdefault(ident.key, n)
    weight = [len(g) for g in groups]
    for via, count in events_by_via.items():
        if via in holder:
            weight[holder[via]] += count
    first_seen = [min((by_id[r].timestamp, r) for r in g) for g in groups]
    keeper = min(range(len(groups)), key=lambda n: (-weight[n], first_seen[n]))
    ids = [
        customer_id if n == keeper else _part_id(customer_id, first_seen[n][1])
        for n in range(len(groups))
    ]
    parts = []
    for n, group in enumerate(groups):
        stated = [by_id[r] for r in group]
        stats = stats_of(
            (StatedRecord(r.record_id, r.source, r.timestamp, r.golden) for r in stated),
            rules.survivorship,
        )
        result = golden(stats, rules.survivorship)
        names = set[str]()
        dobs = set[str]()
        for r in stated:
            obs = Observation(r.record_id, r.source, "", "", (), golden=dict(r.golden))
            n_names, n_dobs = obs.person()
            names |= n_names
            dobs |= n_dobs
        parts.append(
            Part(
                customer_id=ids[n],
                new=n != keeper,
                record_ids=tuple(sorted(group)),
                identifiers=tuple(sorted({i.key for r in group for i in active[r]})),
                first_names=tuple(sorted(names)),
                dobs=tuple(sorted(dobs)),
                golden=GoldenUpdate(result.values, _json(result.provenance), dumps(stats)),
                events=weight[n] - len(group),
            )
        )
    moves = {via: ids[n] for via, n in holder.items() if n != keeper and via in events_by_via}
    return SplitPlan(customer_id, parts, removed, detached, blocked, moves)


def _part_id(customer_id: str, first_record: str) -> str:
    return "cus_" + uuid.uuid5(_SPLIT_NS, f"{customer_id}/{first_record}").hex[:20]


def _json(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True)
