"""Deterministic resolution of a batch of observations: pure logic over plain values.

Records that share a linking identifier belong to one customer, within the identity rules
(``matching.rules``): per-type limits, degree caps and blocked values. Given the batch, the
customers its identifier keys already lead to and what those customers hold, :func:`resolve`
says which customer each record joins, which customers are created, which merge into which
(the oldest survives, so customer ids stay stable) and which links were refused.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Literal

from graph.model import (
    Assignment,
    ConflictNote,
    ExistingCustomer,
    GoldenUpdate,
    Identifier,
    Observation,
    Plan,
    new_customer_id,
)
from matching.agreement import agree
from matching.rules import DEFAULT_RULES, IdentityRules
from matching.survivorship import (
    StatedRecord,
    Stats,
    SurvivorshipPolicy,
    add_record,
    combine,
    dumps,
    golden,
    loads,
)

MODEL_PRIORITY = 7  # a model link ranks after every identifier type (user_id 1 ... anonymous_id 6)
Reason = Literal["limit", "contradiction", "disagree", "kept_apart"]


def plan(
    batch: Sequence[Observation],
    existing: Mapping[str, Iterable[ExistingCustomer]],
    holdings: Mapping[str, Iterable[Identifier]] | None = None,
    rules: IdentityRules = DEFAULT_RULES,
) -> list[Assignment]:
    """Resolve ``batch`` against the graph; see :func:`resolve` (this drops the conflicts)."""
    return resolve(batch, existing, holdings or {}, rules).assignments


def resolve(
    batch: Sequence[Observation],
    existing: Mapping[str, Iterable[ExistingCustomer]],
    holdings: Mapping[str, Iterable[Identifier]],
    rules: IdentityRules = DEFAULT_RULES,
    *,
    blocked_keys: frozenset[str] = frozenset(),
    model_links: Mapping[str, Sequence[tuple[str, str]]] | None = None,
) -> Plan:
    """Resolve each observation in batch order, refusing merges that break the rules.

    Args:
        batch: new observations (records already in the graph must be left out).
        existing: identifier key -> customers reachable through that key today.
        holdings: customer id -> the identifiers it holds today (for every customer in
            ``existing``), so limits are checked against the whole customer.
        rules: limits, priorities, degree caps and blocked values.
        blocked_keys: identifier keys an operator blocked (they join nothing).
        model_links: record id -> [(customer id, candidate record id)]: pairs the
            probabilistic model scored above its link threshold. A model link is a candidate
            like an identifier, after every identifier type in priority (MODEL_PRIORITY),
            under the same protection: limits, names that must agree, operators' splits.

    An observation joins the customers its linking identifiers (identifying, not blocked,
    not over their degree cap) lead to, strongest priority first, as long as the merged
    customer would respect every per-type limit; a candidate that would break one is left
    apart and the refusal is returned as a conflict. No candidate: a new customer. The
    oldest customer of a merge survives, so ids stay stable.
    """
    rules = rules.blocking(blocked_keys)
    created_at: dict[str, str] = {}
    owners: dict[str, list[str]] = {}
    names: dict[str, set[str]] = {}
    dobs: dict[str, set[str]] = {}
    apart: dict[str, set[str]] = {}
    stats_json: dict[str, str | None] = {}
    for key, customers in existing.items():
        for known in customers:
            created_at[known.customer_id] = known.created_at
            owners.setdefault(key, []).append(known.customer_id)
            names.setdefault(known.customer_id, set()).update(known.first_names)
            dobs.setdefault(known.customer_id, set()).update(known.dobs)
            apart.setdefault(known.customer_id, set()).update(known.kept_apart)
            stats_json[known.customer_id] = known.golden_stats
    held: dict[str, set[Identifier]] = {c: set(ids) for c, ids in holdings.items()}
    redirect: dict[str, str] = {}
    order: dict[str, None] = {}  # customers in the order the batch first touched them
    members: dict[str, list[str]] = {}
    merged_into: dict[str, list[str]] = {}
    merged_via: dict[str, tuple[str, str]] = {}
    created: set[str] = set()
    new_records: set[str] = set()
    conflicts: list[ConflictNote] = []
    flagged: set[str] = set()
    blocked: set[str] = set()

    def live(customer: str) -> str:
        while customer in redirect:
            customer = redirect[customer]
        return customer

    for obs in batch:
        own_names, own_dobs = obs.person()
        links: list[tuple[Identifier, set[str]]] = []  # identifier, the customers it reaches
        for ident in obs.identifiers:
            if rules.is_blocked(ident):
                blocked.add(ident.key)
            elif not rules.rule(ident.type).identifying:
                continue
            else:
                current = {live(c) for c in owners.get(ident.key, [])}
                cap = rules.rule(ident.type).degree_cap
                if cap is not None and len(current) > cap:
                    flagged.add(ident.key)
                elif len(current) < 2 and not rules.is_shared(ident):
                    links.append((ident, current))
                elif own_names and rules.rule(ident.type).check_names:
                    # Shared by two or more customers already (or a shared value such as a
                    # family address), it never decides alone which of them a record belongs
                    # to; the record's name may: when exactly one of them is known by a name
                    # that agrees, it reaches that one.
                    named = [
                        c
                        for c in sorted(current)
                        if names.get(c) and agree(own_names, names[c], own_dobs, dobs.get(c, ()))
                    ]
                    if len(named) == 1:
                        links.append((ident, set(named)))
        # Candidates, strongest linking identifier first, then oldest.
        best: dict[str, tuple[int, str]] = {}
        via: dict[str, str] = {}
        reached: dict[str, list[tuple[bool, bool]]] = {}  # (weak, names must agree) per link
        for ident, current in links:
            for c in current:
                rule = rules.rule(ident.type)
                reached.setdefault(c, []).append((rules.is_weak(ident), rule.check_names))
                rank = (rule.priority, created_at.get(c, ""))
                if c not in best or rank < best[c]:
                    best[c], via[c] = rank, ident.key
        for customer, candidate in (model_links or {}).get(obs.record_id, ()):
            c = live(customer)
            reached.setdefault(c, []).append((False, rules.model_check_names))
            rank = (MODEL_PRIORITY, created_at.get(c, ""))
            if c not in best or rank < best[c]:
                best[c], via[c] = rank, "model:" + candidate
        candidates = sorted(best, key=lambda c: (best[c], c))
        own = set(obs.identifiers)
        first_conflict = len(conflicts)
        chosen: list[str] = []
        pool: set[Identifier] = set(own)
        pool_names, pool_dobs = set(own_names), set(own_dobs)
        for c in candidates:
            theirs = held.get(c, set())
            ways = reached[c]
            reason: Reason | None = None
            if any(c in apart.get(k, ()) or k in apart.get(c, ()) for k in chosen):
                reason = "kept_apart"
            elif not rules.fits(pool | theirs):
                reason = "limit"
            elif all(weak for weak, _ in ways) and _contradicts(pool, theirs, rules):
                reason = "contradiction"
            elif all(names_too for _, names_too in ways) and not agree(
                pool_names, names.get(c, set()), pool_dobs, dobs.get(c, set())
            ):
                reason = "disagree"
            if reason is None:
                chosen.append(c)
                pool |= theirs
                pool_names |= names.get(c, set())
                pool_dobs |= dobs.get(c, set())
            else:
                others = tuple(chosen) if chosen else ()
                conflicts.append(ConflictNote(obs.record_id, via[c], (c, *others), reason))
        if chosen:
            survivor = min(chosen, key=lambda c: (created_at.get(c, "~"), c))
            for loser in chosen:
                if loser != survivor:
                    redirect[loser] = survivor
                    merged_via[loser] = (obs.record_id, via[loser])
                    merged_into.setdefault(survivor, []).append(loser)
                    members.setdefault(survivor, []).extend(members.pop(loser, []))
                    merged_into.setdefault(survivor, []).extend(merged_into.pop(loser, []))
                    held[survivor] = held.get(survivor, set()) | held.pop(loser, set())
                    names[survivor] = names.get(survivor, set()) | names.pop(loser, set())
                    dobs[survivor] = dobs.get(survivor, set()) | dobs.pop(loser, set())
                    apart[survivor] = apart.get(survivor, set()) | apart.pop(loser, set())
            teaches = (
                bool(own - held.get(survivor, set()))
                or len(chosen) > 1
                or bool(own_names - names.get(survivor, set()))
                or bool(own_dobs - dobs.get(survivor, set()))
            )
        else:
            survivor = new_customer_id(obs.record_id)
            created.add(survivor)
            created_at[survivor] = "~" + obs.record_id  # younger than any existing customer
            teaches = True
        # The record's own customer is part of every conflict it caused.
        for n in range(first_conflict, len(conflicts)):
            note = conflicts[n]
            conflicts[n] = ConflictNote(
                note.record_id, note.identifier, (survivor, *note.customers), note.reason
            )
        if obs.always_record or teaches:
            new_records.add(obs.record_id)
            held[survivor] = held.get(survivor, set()) | own
            names[survivor] = names.get(survivor, set()) | own_names
            dobs[survivor] = dobs.get(survivor, set()) | own_dobs
            for ident in own:
                if survivor not in owners.setdefault(ident.key, []):
                    owners[ident.key].append(survivor)
        order.setdefault(survivor)
        members.setdefault(survivor, []).append(obs.record_id)
    assignments = []
    for customer in order:
        if customer in redirect or customer not in members:
            continue
        records = tuple(members[customer])
        losers = tuple(c for c in merged_into.get(customer, []) if c not in created)
        assignments.append(
            Assignment(
                customer_id=customer,
                created=customer in created,
                record_ids=records,
                merged=losers,
                new_records=tuple(r for r in records if r in new_records),
                merged_via={c: merged_via[c] for c in losers},
            )
        )
    by_id = {obs.record_id: obs for obs in batch}
    # A record that states no golden attribute (a track call, say) changes no statistics: a
    # customer that merged nothing and got only such records keeps its golden values as they
    # are, and is not written (a new one then has none, as it would after writing them).
    updates = {
        a.customer_id: _golden(a, by_id, stats_json, rules.survivorship)
        for a in assignments
        if a.merged or any(by_id[r].golden for r in a.new_records)
    }
    settled = [
        ConflictNote(n.record_id, n.identifier, tuple(dict.fromkeys(live(c) for c in n.customers)),
                     n.reason)
        for n in conflicts
    ]  # fmt: skip
    return Plan(assignments, settled, flagged, blocked, updates)


def _golden(
    placed: Assignment,
    batch: Mapping[str, Observation],
    stats_json: Mapping[str, str | None],
    policy: SurvivorshipPolicy,
) -> GoldenUpdate:
    """The customer's survivorship statistics after the batch, and the winners they give."""
    parts = [loads(stats_json.get(c)) for c in (placed.customer_id, *placed.merged)]
    return golden_update(combine(*parts), (batch[r] for r in placed.new_records), policy)


def golden_update(
    stats: Stats, observations: Iterable[Observation], policy: SurvivorshipPolicy
) -> GoldenUpdate:
    """``stats`` (changed in place) with the observations' records added, and the winners."""
    for obs in observations:
        add_record(stats, StatedRecord(obs.record_id, obs.source, obs.timestamp, obs.golden),
                   policy)  # fmt: skip
    result = golden(stats, policy)
    provenance = json.dumps(result.provenance, separators=(",", ":"), sort_keys=True)
    return GoldenUpdate(result.values, provenance, dumps(stats))


def _contradicts(ours: set[Identifier], theirs: set[Identifier], rules: IdentityRules) -> bool:
    """Whether both sides hold strong identifiers and share none of them.

    A weak link (a device, a landline, a browser) may join an anonymous side to an identified
    one, or two sides that already share a strong id; two differently identified sides it
    never joins: that is a family tablet, not one person.
    """

    def strong(side: set[Identifier]) -> set[Identifier]:
        return {
            i
            for i in side
            if rules.rule(i.type).identifying and not rules.is_weak(i) and not rules.is_blocked(i)
        }

    mine, other = strong(ours), strong(theirs)
    return bool(mine) and bool(other) and mine.isdisjoint(other)
