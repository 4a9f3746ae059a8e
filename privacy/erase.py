"""Erasure (GDPR art. 17, CCPA "right to delete"): forget a person everywhere GraphCDP keeps
them, and keep them forgotten. Called by the ``eraseCustomer`` mutation and by
``graphcdp privacy erase``.

1. Neo4j, one transaction (``privacy.erase_customer``): the customer and the ids merged into
   it, its records, events, consent, memberships and their history, merges and splits,
   conflicts, model links, groups no one else is in, and the identifiers and devices no one
   else holds (a shared one keeps existing for the others; only the person's links to it
   go). Each deleted identifier leaves a Suppression: its keyed hash (privacy.suppression),
   so replayed or late messages bearing it are dropped by the worker and counted.
2. Redis and every API process's memory: the profile entries and the identifier pointers,
   deleted now and once more after the cache's settle time (a read that raced the erasure
   could have refilled them); ``customer.erased`` on ``cdp.changes`` reaches the other API
   processes, the search follower and subscriptions.
3. OpenSearch: the customer's document, deleted now (the follower deletes it too).
4. Destinations of activations of segments the person entered: webhooks with an erasure URL
   get a signed DELETE; a destination that cannot be told goes to ``cdp.dlq`` with the
   erasure id, for an operator to follow up.
5. The audit log: one entry with the actor, the customer id and the counts, never a value.

Kept on purpose: audit entries that name the customer id (a pseudonymous id, the record of
who processed the data, which the law asks to keep), and the raw messages in the Kafka topics
until the topics' retention removes them (replaying them is harmless: they are suppressed).
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from graph.model import now_iso
from graph.repository.privacy import Erased

SETTLE = 0.5  # seconds between the two cache deletions (graph.cache.CacheConfig.settle)
_REFERENCE = re.compile(r"^[A-Za-z0-9_.:#/-]{1,64}$")


class ErasureStore(Protocol):
    async def erase(
        self, customer_id: str, hash_of: Callable[[str], str], erasure_id: str
    ) -> Erased | None: ...


class Caches(Protocol):
    """graph.cache.ProfileCache: profiles and identifier pointers in memory and Redis."""

    async def invalidate(self, customer_ids: Iterable[str], again: bool = True) -> None: ...

    async def forget_identifiers(self, keys: Iterable[str]) -> None: ...


class SearchDocuments(Protocol):
    async def delete(self, ids: Sequence[str]) -> None: ...


class Changes(Protocol):
    async def publish_changes(self, changes: Sequence[tuple[str, dict[str, Any]]]) -> None: ...


Notify = Callable[[str, str, str], Awaitable[bool]]  # (destination id, customer, erasure id)
DeadLetter = Callable[[Mapping[str, object]], Awaitable[None]]
WriteAudit = Callable[[Sequence[dict[str, Any]]], Awaitable[int]]


@dataclass(frozen=True)
class Erasure:
    erasure_id: str
    customer_id: str
    counts: Mapping[str, int]
    suppressed: int
    notified: tuple[str, ...]  # destinations told
    unreached: tuple[str, ...]  # destinations that could not be told (dead-lettered)


async def erase_customer(
    store: ErasureStore,
    customer_id: str,
    *,
    hash_of: Callable[[str], str],
    caches: Caches,
    search: SearchDocuments | None,
    changes: Changes | None,
    notify: Notify | None,
    dead_letter: DeadLetter | None,
    audit: WriteAudit,
    actor: str,
    role: str,
    reference: str | None = None,
    settle: float = SETTLE,
) -> Erasure | None:
    """Erase the person ``customer_id`` is (or was merged into); None when unknown.

    ``reference``: the request's ticket or case id, kept in the audit entry (letters, digits
    and ``_.:#/-``, at most 64, so that no value of the person slips into the log).

    Raises:
        ValueError: ``reference`` is not such an id.
    """
    if reference is not None and not _REFERENCE.match(reference):
        raise ValueError("reference: expected 1-64 of letters, digits and _.:#/-")
    erasure_id = f"era_{uuid.uuid4().hex[:20]}"
    erased = await store.erase(customer_id, hash_of, erasure_id)
    if erased is None:
        return None
    at = now_iso()
    await caches.forget_identifiers(erased.identifier_keys)
    await caches.invalidate(erased.ids, again=False)
    if search is not None:
        await search.delete(list(erased.ids))
    if changes is not None:
        await changes.publish_changes([(erased.customer_id, {
            "type": "customer.erased", "customer_id": erased.customer_id,
            "erased_ids": list(erased.ids), "erasure_id": erasure_id, "at": at,
        })])  # fmt: skip
    notified: list[str] = []
    unreached: list[str] = []
    for destination_id in erased.destinations:
        told = notify is not None and await notify(destination_id, erased.customer_id, erasure_id)
        (notified if told else unreached).append(destination_id)
        if not told and dead_letter is not None:
            await dead_letter({
                "stage": "erasure", "destination_id": destination_id, "erasure_id": erasure_id,
                "customer_id": erased.customer_id, "failed_at": at,
                "error": "the destination could not be told of the erasure (no erasure URL, "
                         "or it did not answer 2xx)",
            })  # fmt: skip
    await audit([{
        "entry_id": erasure_id, "at": at, "actor": actor, "role": role,
        "operation": "privacy.erase", "kind": "erasure",
        "fields": [f"{k}={v}" for k, v in sorted(erased.counts.items())]
        + [f"notified={len(notified)}", f"unreached={len(unreached)}"]
        + ([f"reference={reference}"] if reference else []),
        "customer_ids": list(erased.ids),
    }])  # fmt: skip
    # A read that began before the erasure committed may have refilled a cache: once more.
    await asyncio.sleep(settle)
    await caches.forget_identifiers(erased.identifier_keys)
    await caches.invalidate(erased.ids, again=False)
    return Erasure(erasure_id, erased.customer_id, dict(erased.counts), erased.suppressed,
                   tuple(notified), tuple(unreached))  # fmt: skip
