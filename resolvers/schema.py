"""The GraphQL schema: feature query types merged, every root field guarded by the permission
table, with limits on by default (depth, aliases, tokens, cost) and, in production,
introspection for admins only and unexpected errors masked."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import strawberry
from aiokafka.errors import KafkaError, KafkaTimeoutError
from graphql import ASTValidationRule, GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    MaskErrors,
    MaxTokensLimiter,
    ParserCache,
    SchemaExtension,
    ValidationCache,
)
from strawberry.extensions.max_aliases import create_validator as max_aliases
from strawberry.extensions.query_depth_limiter import create_validator as max_depth
from strawberry.tools import merge_types

from graph.driver import UNAVAILABLE
from resolvers.activation.queries import ActivationMutations, ActivationQueries
from resolvers.audit.extension import AuditTrail
from resolvers.audit.queries import AuditQueries
from resolvers.customer.browse import BrowseQueries
from resolvers.customer.changes import CustomerSubscriptions
from resolvers.customer.queries import CustomerQueries
from resolvers.guard import OperationGuard
from resolvers.identity.mutations import IdentityMutations
from resolvers.identity.queries import IdentityQueries
from resolvers.identity.reviews import ReviewMutations, ReviewQueries
from resolvers.metrics import TimedOperations
from resolvers.permissions import guard
from resolvers.privacy.operations import PrivacyMutations, PrivacyQueries
from resolvers.search.queries import SearchQueries
from resolvers.segments.changes import SegmentSubscriptions
from resolvers.segments.queries import SegmentMutations, SegmentQueries

Query = merge_types(
    "Query",
    (CustomerQueries, BrowseQueries, IdentityQueries, ReviewQueries, SearchQueries,
     SegmentQueries, ActivationQueries, AuditQueries, PrivacyQueries),
)  # fmt: skip
Mutation = merge_types(
    "Mutation",
    (IdentityMutations, ReviewMutations, SegmentMutations, ActivationMutations, PrivacyMutations),
)
Subscription = merge_types("Subscription", (CustomerSubscriptions, SegmentSubscriptions))
ROOTS = {"Query": Query, "Mutation": Mutation, "Subscription": Subscription}
guard(ROOTS)  # every root field checks the caller's role (resolvers/permissions.py)

# The depth and alias limits as validation rules made once: Strawberry's QueryDepthLimiter and
# MaxAliasesLimiter make a new rule class for every request, and the validation cache is
# keyed by the rules, so it never hit (validation was half the CPU of a cached profile read).
_LIMITS: list[type[ASTValidationRule]] = [max_depth(10, None), max_aliases(30)]


class Limits(AddValidationRules):
    """Depth at most 10, at most 30 aliases."""

    def __init__(self) -> None:
        super().__init__(_LIMITS)


DEFAULT_COST_LIMIT = 5000


def unexpected(error: GraphQLError) -> bool:
    """An error nobody raised on purpose (a bug, a driver error): masked in production.
    Expected errors (GraphQLErrors with codes, validation errors) keep their messages; so
    does an unreachable server, which the API answers with a 503 (api/unavailable.py)."""
    original = error.original_error
    return (
        original is not None
        and not isinstance(original, GraphQLError)
        and not isinstance(original, UNAVAILABLE)
        and not (isinstance(original, KafkaError) and original.retriable)
        and not isinstance(original, KafkaTimeoutError)
    )


def make_schema(
    *, production: bool = False, cost_limit: int = DEFAULT_COST_LIMIT
) -> strawberry.Schema:
    """The schema the API serves (``production``: introspection for admins only, unexpected
    errors masked; ``cost_limit``: the largest query cost accepted, resolvers/cost.py)."""
    extensions: list[type[SchemaExtension] | Callable[[], SchemaExtension]] = [
        TimedOperations,
        Limits,
        partial(MaxTokensLimiter, max_token_count=2000),
        # A frontend sends the same few documents again and again: each is parsed and
        # validated once (both caches live at module level, shared by every request).
        partial(ParserCache, maxsize=1024),
        partial(ValidationCache, maxsize=1024),
        partial(OperationGuard, production=production, cost_limit=cost_limit),
        AuditTrail,
    ]
    if production:
        extensions.append(partial(MaskErrors, should_mask_error=unexpected))
    return strawberry.Schema(
        query=Query, mutation=Mutation, subscription=Subscription, extensions=extensions
    )


schema = make_schema()


def schema_sdl() -> str:
    """The schema in GraphQL SDL, as checked in at ``schema.graphql``
    (``graphcdp schema export``; a test fails when the file is stale)."""
    return schema.as_str() + "\n"
