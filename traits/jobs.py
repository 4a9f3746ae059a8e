"""Trait jobs over a store of customers: refresh windowed traits, recompute from events.

The store is a port (:class:`TraitStore`); ``graph.repository.TraitRepository`` is the Neo4j
adapter. The worker refreshes due customers periodically, ``graphcdp traits`` runs both jobs
by hand, and an unmerge recomputes the parts it created from their events.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, Protocol

from graph.model import TraitUpdate
from traits.computed import EventFact, Trait, dumps, evaluate, loads, today, update


class TraitStore(Protocol):
    async def due(self, day: str, limit: int) -> list[tuple[str, str | None]]:
        """(customer id, trait state) of live customers whose traits expire by ``day``."""
        ...

    async def events_of(self, customer_ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        """Each customer's events: [{event_id, name, timestamp, properties (JSON)}]."""
        ...

    async def write(self, updates: Mapping[str, TraitUpdate]) -> None: ...


async def refresh_due(
    store: TraitStore, traits: Sequence[Trait], day: date | None = None, batch: int = 1000
) -> int:
    """Re-evaluate customers whose windowed traits changed with time (states only)."""
    day = day or today()
    done = 0
    while True:
        due = await store.due(day.isoformat(), batch)
        if not due:
            return done
        updates = {}
        for customer_id, state in due:
            values, kept = evaluate(loads(state), traits, day)
            updates[customer_id] = TraitUpdate(values.values, dumps(kept), values.expires)
        await store.write(updates)
        done += len(due)
        if len(due) < batch:
            return done


async def recompute(
    store: TraitStore, traits: Sequence[Trait], customer_ids: Sequence[str], day: date | None = None
) -> int:
    """Rebuild the traits of these customers from all their events (after a split, or when
    the definitions changed)."""
    day = day or today()
    events = await store.events_of(customer_ids)
    updates = {}
    for customer_id in customer_ids:
        facts = [
            EventFact(e["event_id"], e["name"], e["timestamp"], _props(e["properties"]))
            for e in events.get(customer_id, [])
        ]
        values, kept = evaluate(update({}, traits, facts), traits, day)
        updates[customer_id] = TraitUpdate(values.values, dumps(kept), values.expires)
    await store.write(updates)
    return len(updates)


def _props(text: object) -> dict[str, Any]:
    try:
        value = json.loads(text) if isinstance(text, str) else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
