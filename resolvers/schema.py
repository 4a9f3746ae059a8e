"""The GraphQL schema: feature query types merged, with limits on by default."""

from __future__ import annotations

from functools import partial

import strawberry
from graphql import ASTValidationRule
from strawberry.extensions import (
    AddValidationRules,
    MaxTokensLimiter,
    ParserCache,
    ValidationCache,
)
from strawberry.extensions.max_aliases import create_validator as max_aliases
from strawberry.extensions.query_depth_limiter import create_validator as max_depth
from strawberry.tools import merge_types

from resolvers.customer.browse import BrowseQueries
from resolvers.customer.changes import CustomerSubscriptions
from resolvers.customer.queries import CustomerQueries
from resolvers.identity.mutations import IdentityMutations
from resolvers.identity.queries import IdentityQueries
from resolvers.identity.reviews import ReviewMutations, ReviewQueries
from resolvers.metrics import TimedOperations
from resolvers.search.queries import SearchQueries
from resolvers.segments.queries import SegmentMutations, SegmentQueries

Query = merge_types(
    "Query",
    (CustomerQueries, BrowseQueries, IdentityQueries, ReviewQueries, SearchQueries,
     SegmentQueries),
)  # fmt: skip
Mutation = merge_types("Mutation", (IdentityMutations, ReviewMutations, SegmentMutations))

# The depth and alias limits as validation rules made once: Strawberry's QueryDepthLimiter and
# MaxAliasesLimiter make a new rule class for every request, and the validation cache is
# keyed by the rules, so it never hit (validation was half the CPU of a cached profile read).
_LIMITS: list[type[ASTValidationRule]] = [max_depth(10, None), max_aliases(30)]


class Limits(AddValidationRules):
    """Depth at most 10, at most 30 aliases."""

    def __init__(self) -> None:
        super().__init__(_LIMITS)


schema = strawberry.Schema(
    query=Query,
    mutation=Mutation,
    subscription=CustomerSubscriptions,
    extensions=[
        TimedOperations,
        Limits,
        partial(MaxTokensLimiter, max_token_count=2000),
        # A frontend sends the same few documents again and again: each is parsed and
        # validated once (both caches live at module level, shared by every request).
        partial(ParserCache, maxsize=1024),
        partial(ValidationCache, maxsize=1024),
    ],
)


def schema_sdl() -> str:
    """The schema in GraphQL SDL, as checked in at ``schema.graphql``
    (``graphcdp schema export``; a test fails when the file is stale)."""
    return schema.as_str() + "\n"
