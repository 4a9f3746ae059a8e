"""The worker's planner: identity resolution, then the computed traits of the customers touched.

Both are pure logic (``matching.deterministic`` and ``traits.computed``); this composes them
into the one callback ``graph.repository.IdentityRepository.apply`` calls under its locks.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from neo4j import AsyncDriver

from graph.model import Candidate, ExistingCustomer, Identifier, Observation, Plan, TraitUpdate
from graph.repository import ModelRepository, SettingsRepository
from graphcdp.settings import Settings
from matching.deterministic import resolve
from matching.realtime import Matcher, ModelSource, Thresholds
from matching.rules import DEFAULT_RULES, IdentityRules
from traits.computed import (
    DEFAULT_TRAITS,
    EventFact,
    Trait,
    combine,
    dumps,
    evaluate,
    loads,
    today,
    update,
)


def plan_batch(
    batch: Sequence[Observation],
    existing: Mapping[str, list[ExistingCustomer]],
    holdings: Mapping[str, list[Identifier]],
    *,
    blocked_keys: frozenset[str] = frozenset(),
    candidates: Mapping[str, list[Candidate]] | None = None,
    rules: IdentityRules = DEFAULT_RULES,
    traits: Sequence[Trait] = DEFAULT_TRAITS,
    matcher: Matcher | None = None,
) -> Plan:
    """Score the model's candidates (with a matcher), resolve the batch with the model links,
    then update the traits of every customer that got events or merged."""
    verdicts = matcher.verdicts(batch, candidates) if matcher and candidates else []
    owners = {c.record_id: c.customer_id for cs in (candidates or {}).values() for c in cs}
    links: dict[str, list[tuple[str, str]]] = {}
    for v in verdicts:
        if v.kind == "link":
            links.setdefault(v.from_record, []).append((owners[v.to_record], v.to_record))
    plan = resolve(batch, existing, holdings, rules, blocked_keys=blocked_keys, model_links=links)
    plan.matches.extend(verdicts)
    if not traits:
        return plan
    states = {c.customer_id: c.trait_state for cs in existing.values() for c in cs}
    by_id = {obs.record_id: obs for obs in batch}
    day = today()
    for placed in plan.assignments:
        events = [facts(by_id[r]) for r in placed.record_ids if by_id[r].event is not None]
        if not events and not placed.merged:
            continue
        start = combine(*(loads(states.get(c)) for c in (placed.customer_id, *placed.merged)))
        values, kept = evaluate(update(start, traits, events), traits, day)
        plan.traits[placed.customer_id] = TraitUpdate(values.values, dumps(kept), values.expires)
    return plan


def facts(obs: Observation) -> EventFact:
    """What the traits read from an observation's event."""
    event = obs.event
    properties = json.loads(event.properties_json) if event is not None else {}
    return EventFact(
        obs.record_id,
        event.name if event is not None else None,
        obs.timestamp,
        properties if isinstance(properties, dict) else {},
    )


def model_source(settings: Settings, driver: AsyncDriver) -> ModelSource:
    """The model file of GRAPHCDP_MATCH_MODEL, else the graph's active model version."""
    stored = ModelRepository(driver, settings.neo4j_database)
    in_graph = SettingsRepository(driver, settings.neo4j_database)

    async def active() -> str | None:
        found = await in_graph.text(ModelRepository.ACTIVE)
        return found[0] if found and found[0] else None  # "" after `match deactivate`

    thresholds = Thresholds(settings.match_link, settings.match_review)
    return ModelSource(active, stored.get, thresholds, fixed=settings.matcher())
