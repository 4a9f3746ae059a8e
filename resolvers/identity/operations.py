"""Operator actions: one handler each, called by the GraphQL mutations and by the CLI."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any, Protocol

from graph.model import Correction, SplitPlan, now_iso
from graph.repository import SplitRepository
from matching.rules import IdentityRules
from matching.split import plan_split
from traits.computed import Trait
from traits.jobs import TraitStore, recompute


class ChangePublisher(Protocol):
    """Where change messages go (``cdp.changes``; ingest.producer.EventProducer is one)."""

    async def publish_changes(self, changes: Sequence[tuple[str, dict[str, Any]]]) -> None: ...


async def split_customer(
    repo: SplitRepository,
    producer: ChangePublisher | None,
    customer_id: str,
    correction: Correction,
    rules: IdentityRules,
    actor: str,
    reason: str | None = None,
    *,
    traits: tuple[TraitStore, Sequence[Trait]] | None = None,
) -> SplitPlan | None:
    """Apply an operator's correction, rebuild the parts' computed traits from their events
    (with ``traits``: the store and the definitions), and publish ``customer.split`` to
    ``cdp.changes``.

    Returns None when there is no live customer of that id.

    Raises:
        matching.split.SplitError: the correction does not apply to the customer.
    """
    splitter = functools.partial(plan_split, correction=correction, rules=rules)
    plan = await repo.split(customer_id, correction, splitter, actor, reason)
    if plan is not None and plan.split and traits is not None:
        store, definitions = traits
        await recompute(store, definitions, [p.customer_id for p in plan.parts])
    if plan is not None and producer is not None:
        await producer.publish_changes(split_changes(plan, now_iso()))
    return plan


def split_changes(plan: SplitPlan, at: str) -> list[tuple[str, dict[str, Any]]]:
    """``customer.split`` for the old id, ``customer.created`` for each new part."""
    new = [p.customer_id for p in plan.parts if p.new]
    out: list[tuple[str, dict[str, Any]]] = [
        (plan.customer_id, {"type": "customer.split", "customer_id": plan.customer_id,
                            "parts": new, "at": at})
    ]  # fmt: skip
    for part in plan.parts:
        if part.new:
            out.append((part.customer_id, {"type": "customer.created", "customer_id":
                        part.customer_id, "split_from": plan.customer_id,
                        "records": len(part.record_ids), "at": at}))  # fmt: skip
    return out


async def announce_merge(
    producer: ChangePublisher | None, survivor: str, loser: str, cause: str
) -> None:
    """Publish ``customer.merged`` (as the worker does for its merges) for a merge made
    outside the worker, so caches and followers of ``cdp.changes`` hear of it."""
    if producer is not None:
        await producer.publish_changes([(survivor, {
            "type": "customer.merged", "customer_id": survivor, "merged": loser,
            "cause": cause, "at": now_iso(),
        })])  # fmt: skip
