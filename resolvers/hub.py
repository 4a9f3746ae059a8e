"""Changes fanned out, in this process, to the subscriptions watching them.

Fed by :mod:`api.invalidation` with every change every API process hears: changed customer
ids (after the profile has been forgotten in both cache tiers; the message is the set of
ids) and segment enters and exits (keyed ``segment:<id>``; the message is the membership
change). Read by :mod:`resolvers.customer.changes` and :mod:`resolvers.segments.changes`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable, Iterator

QUEUE = 100  # changes a slow subscriber may fall behind by before older ones are dropped


class Watch:
    """One subscription's queue and the keys (customer ids, ``segment:<id>``) it watches."""

    def __init__(self, watchers: dict[str, set[asyncio.Queue[object]]]) -> None:
        self.queue: asyncio.Queue[object] = asyncio.Queue(QUEUE)
        self.ids: set[str] = set()
        self._watchers = watchers

    def add(self, customer_ids: Iterable[str]) -> None:
        for customer_id in set(customer_ids) - self.ids:
            self._watchers.setdefault(customer_id, set()).add(self.queue)
            self.ids.add(customer_id)

    def close(self) -> None:
        for customer_id in self.ids:
            queues = self._watchers.get(customer_id)
            if queues is not None:
                queues.discard(self.queue)
                if not queues:
                    del self._watchers[customer_id]
        self.ids.clear()


class ChangeHub:
    """In-process fan-out of changed customer ids to the subscriptions watching them."""

    def __init__(self) -> None:
        self._watchers: dict[str, set[asyncio.Queue[object]]] = {}

    def publish(self, keys: Iterable[str], message: object = None) -> None:
        """Hand ``message`` (by default the set of ``keys``) to every watch of a key."""
        changed = frozenset(keys)
        queues = {q for c in changed for q in self._watchers.get(c, ())}
        for queue in queues:
            if queue.full():  # a subscriber that does not read: keep the newest changes
                queue.get_nowait()
            queue.put_nowait(changed if message is None else message)

    @contextlib.contextmanager
    def watch(self) -> Iterator[Watch]:
        """A watch for one subscription, unregistered when the block ends."""
        watch = Watch(self._watchers)
        try:
            yield watch
        finally:
            watch.close()

    @property
    def watched(self) -> int:
        """How many keys some subscription watches."""
        return len(self._watchers)
