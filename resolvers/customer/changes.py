"""``customerChanged(id)``: a subscription fed by the changes every API process hears.

Each API process hears every change to a customer on the cache's invalidation channel
(:mod:`api.invalidation`: ``cdp.changes`` read by one process of the group, its customer ids
broadcast on Redis pub/sub), after the profile has been forgotten in both cache tiers. The
hub (:class:`resolvers.hub.ChangeHub`) hands those ids to the subscriptions watching them;
each reads the profile again (so it sees the change) and sends it. A merge names both
customers, so a subscription on the absorbed id follows to the survivor.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry
from graphql import GraphQLError

from resolvers.context import Info
from resolvers.customer.types import Customer


@strawberry.type
class CustomerSubscriptions:
    @strawberry.subscription(
        description="The customer's profile each time it changes (an event, a new record, a "
        "merge, a split), read after the change; an absorbed id follows to its survivor."
    )
    async def customer_changed(
        self, info: Info, id: strawberry.ID
    ) -> AsyncGenerator[Customer, None]:
        asked, cached = str(id), info.context.cached
        with info.context.hub.watch() as watch:
            watch.add({asked})  # before the read: a change after it is not missed
            profile = await cached.profile(asked)
            if profile is None:
                raise GraphQLError(f"no customer {asked}", extensions={"code": "NOT_FOUND"})
            watch.add({profile.customer["customer_id"]})
            while True:
                await watch.queue.get()
                fresh = await cached.profile(asked)
                if fresh is not None:
                    watch.add({fresh.customer["customer_id"]})
                    yield Customer.from_profile(fresh)
