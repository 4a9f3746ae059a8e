"""Who may call which root field: the one permission table, enforced on every root field.

``PERMISSIONS`` maps each Query, Mutation and Subscription field to the roles allowed to call
it; :func:`guard` attaches a :class:`RootGuard` to every root field from this table (a field
missing from the table is admin-only, and a unit test fails until it is added). A caller whose
role is not allowed gets a GraphQL error with ``extensions.code`` ``FORBIDDEN`` on that field.
README.md ("Security") shows the same matrix.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

from graphql import GraphQLError
from strawberry.extensions.field_extension import (
    AsyncExtensionResolver,
    FieldExtension,
    SyncExtensionResolver,
)
from strawberry.types import Info
from strawberry.types.base import get_object_definition
from strawberry.utils.str_converters import to_camel_case

from resolvers.roles import ROLES, Role

__all__ = ["PERMISSIONS", "ROLES", "Role", "RootGuard", "forbidden", "guard", "root_fields"]

ADMIN: frozenset[Role] = frozenset({"admin"})
ANALYSTS: frozenset[Role] = frozenset({"admin", "analyst"})
PROFILE_READERS: frozenset[Role] = frozenset({"admin", "marketer", "analyst", "viewer"})
MARKETERS: frozenset[Role] = frozenset({"admin", "marketer"})

PERMISSIONS: Mapping[str, frozenset[Role]] = {
    # Profiles: every reading role (PII masked for analyst and viewer).
    "Query.customer": PROFILE_READERS,
    "Query.customers": PROFILE_READERS,
    "Query.device": PROFILE_READERS,
    "Query.searchCustomers": PROFILE_READERS,
    # The identity graph's operations: people who look after resolution quality.
    "Query.identityPath": ANALYSTS,
    "Query.conflicts": ANALYSTS,
    "Query.conflictCounts": ANALYSTS,
    "Query.identityRules": ANALYSTS,
    "Query.reviews": ANALYSTS,
    # Segments: every reading role sees them (members masked as profiles are); the
    # marketing tool (marketer) and admins change them.
    "Query.segment": PROFILE_READERS,
    "Query.segments": PROFILE_READERS,
    "Query.segmentOverlap": PROFILE_READERS,
    "Mutation.createSegment": MARKETERS,
    "Mutation.updateSegment": MARKETERS,
    "Mutation.deleteSegment": MARKETERS,
    "Mutation.previewSegment": MARKETERS,
    # Activation: the marketing tool and admins (destinations carry URLs and topics).
    "Query.destinations": MARKETERS,
    "Query.activations": MARKETERS,
    "Query.syncRuns": MARKETERS,
    "Mutation.createDestination": MARKETERS,
    "Mutation.activateSegment": MARKETERS,
    "Mutation.syncNow": MARKETERS,
    # Who did what: admins only.
    "Query.auditLog": ADMIN,
    # Changing the identity graph or its rules: admins only.
    "Mutation.setIdentityRules": ADMIN,
    "Mutation.splitCustomer": ADMIN,
    "Mutation.decideReview": ADMIN,
    # Privacy: consent is set by preference centres and the marketing tool; access exports
    # and erasure are for the people who answer data-subject requests (admins).
    "Mutation.setConsent": MARKETERS,
    "Query.exportCustomer": ADMIN,
    "Mutation.eraseCustomer": ADMIN,
    # A customer's profile each time it changes: as its reads.
    "Subscription.customerChanged": PROFILE_READERS,
    "Subscription.segmentMembershipChanged": PROFILE_READERS,
}
"""Root field (``Query.x``, ``Mutation.x``, ``Subscription.x``; GraphQL names) -> the roles
allowed to call it. The ``ingest`` role is for the tracking API only: no field allows it."""

ROOT_TYPES = ("Query", "Mutation", "Subscription")


def forbidden(coordinate: str, role: str) -> GraphQLError:
    """The error of a field the caller's role may not call (stable ``FORBIDDEN`` code)."""
    return GraphQLError(
        f"the role {role or 'none'!r} may not call {coordinate}",
        extensions={"code": "FORBIDDEN", "field": coordinate},
    )


class RootGuard(FieldExtension):
    """Refuses the field to roles outside ``roles``; notes an allowed call in the request's
    access record (for the audit log), with the customer ids among its arguments."""

    def __init__(self, coordinate: str, roles: frozenset[Role]) -> None:
        self.coordinate = coordinate
        self.roles = roles

    def _check(self, info: Info[Any, Any], kwargs: dict[str, Any]) -> None:
        ctx = info.context
        role = str(getattr(ctx, "role", ""))
        access = getattr(ctx, "access", None)
        if role not in self.roles:
            if access is not None:
                access.deny(self.coordinate)
            raise forbidden(self.coordinate, role)
        if access is not None:
            ids = [str(kwargs[k]) for k in ("id", "customer_id") if kwargs.get(k) is not None]
            access.call(self.coordinate, ids)

    def resolve(
        self, next_: SyncExtensionResolver, source: Any, info: Info[Any, Any], **kwargs: Any
    ) -> Any:
        self._check(info, kwargs)
        return next_(source, info, **kwargs)

    async def resolve_async(
        self, next_: AsyncExtensionResolver, source: Any, info: Info[Any, Any], **kwargs: Any
    ) -> Any:
        self._check(info, kwargs)
        result = next_(source, info, **kwargs)  # a subscription's is an async generator
        return await result if inspect.isawaitable(result) else result


def root_fields(roots: Mapping[str, type]) -> dict[str, Any]:
    """``Kind.field`` (``Query``, ``Mutation`` or ``Subscription``, whatever the root type is
    called; GraphQL field names) -> the StrawberryField."""
    found: dict[str, Any] = {}
    for kind, root in roots.items():
        for field in get_object_definition(root, strict=True).fields:
            found[f"{kind}.{field.graphql_name or to_camel_case(field.python_name)}"] = field
    return found


def guard(roots: Mapping[str, type]) -> None:
    """Attach a :class:`RootGuard` from ``PERMISSIONS`` to every field of the root types, given
    by kind (``{"Query": Query, ...}``); once, before the schema is built. A field missing
    from the table is admin-only."""
    for coordinate, field in root_fields(roots).items():
        if not any(isinstance(e, RootGuard) for e in field.extensions):
            field.extensions.append(RootGuard(coordinate, PERMISSIONS.get(coordinate, ADMIN)))
