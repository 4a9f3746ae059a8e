"""Profile lookups: by customer id (redirects followed) or by any identifier."""

from __future__ import annotations

import strawberry
from graphql import GraphQLError

from graph.model import InvalidIdentifier
from matching.normalise import identifier as normalised
from resolvers.context import Info
from resolvers.customer.types import Customer, IdentifierInput


@strawberry.type
class CustomerQueries:
    @strawberry.field(description="One customer, by id or by an identifier (exactly one of them).")
    async def customer(
        self,
        info: Info,
        id: strawberry.ID | None = None,
        identifier: IdentifierInput | None = None,
    ) -> Customer | None:
        if (id is None) == (identifier is None):
            raise GraphQLError(
                "customer needs exactly one of `id` or `identifier`",
                extensions={"code": "BAD_USER_INPUT"},
            )
        profiles = info.context.cached
        if identifier is None:
            profile = await profiles.profile(str(id))
        else:
            try:
                key = normalised(
                    identifier.type.value, identifier.value, info.context.normalise
                ).key
            except InvalidIdentifier as err:
                raise GraphQLError(str(err), extensions={"code": "BAD_USER_INPUT"}) from None
            profile = await profiles.profile_by_identifier(key)
        if profile is None:  # it may appear any moment: such an answer is never kept
            info.context.answer.spoil()
            return None
        info.context.answer.shows(profile.requested_id, str(profile.customer["customer_id"]))
        return Customer.from_profile(profile)
