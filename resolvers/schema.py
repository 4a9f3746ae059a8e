"""The GraphQL schema: feature query types merged, with limits on by default."""

from __future__ import annotations

from functools import partial

import strawberry
from strawberry.extensions import MaxAliasesLimiter, MaxTokensLimiter, QueryDepthLimiter
from strawberry.tools import merge_types

from resolvers.customer.queries import CustomerQueries
from resolvers.identity.mutations import IdentityMutations
from resolvers.identity.queries import IdentityQueries
from resolvers.identity.reviews import ReviewMutations, ReviewQueries

Query = merge_types("Query", (CustomerQueries, IdentityQueries, ReviewQueries))
Mutation = merge_types("Mutation", (IdentityMutations, ReviewMutations))

schema = strawberry.Schema(
    query=Query,
    mutation=Mutation,
    extensions=[
        partial(QueryDepthLimiter, max_depth=10),
        partial(MaxTokensLimiter, max_token_count=2000),
        partial(MaxAliasesLimiter, max_alias_count=30),
    ],
)


def schema_sdl() -> str:
    """The schema in GraphQL SDL, as checked in at ``schema.graphql``
    (``graphcdp schema export``; a test fails when the file is stale)."""
    return schema.as_str() + "\n"
