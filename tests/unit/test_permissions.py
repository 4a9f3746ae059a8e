"""The permission table covers every root field, and the schema enforces it for every role."""

from __future__ import annotations

from typing import Any, cast

import pytest

from matching.rules import DEFAULT_RULES
from resolvers.audit.trail import Access
from resolvers.context import Context
from resolvers.permissions import PERMISSIONS, ROOT_TYPES
from resolvers.roles import ROLES
from resolvers.schema import schema

pytestmark = pytest.mark.unit

# One call of every root field, with the arguments it needs. A new root field must get a line
# here and in resolvers/permissions.py (the completeness tests below fail until it does).
CALLS = {
    "Query.customer": '{ customer(id: "cus_x") { id } }',
    "Query.customers": "{ customers { totalCount } }",
    "Query.device": '{ device(id: "dev_x") { id } }',
    "Query.identityPath": '{ identityPath(from: "cus_x", to: "cus_y") { label } }',
    "Query.searchCustomers": '{ searchCustomers(query: "kim") { totalCount } }',
    "Query.conflicts": "{ conflicts { id } }",
    "Query.conflictCounts": "{ conflictCounts { reason } }",
    "Query.identityRules": "{ identityRules { source } }",
    "Query.reviews": "{ reviews { status } }",
    "Query.auditLog": "{ auditLog { endCursor } }",
    "Mutation.setIdentityRules": 'mutation { setIdentityRules(yaml: "{}") { __typename } }',
    "Mutation.splitCustomer": 'mutation { splitCustomer(customerId: "cus_x", correction: '
    '{kind: RECORD, recordId: "r"}) { __typename } }',
    "Mutation.decideReview": 'mutation { decideReview(recordId: "a", otherRecordId: "b", '
    "accept: true) { __typename } }",
    "Subscription.customerChanged": 'subscription { customerChanged(id: "cus_x") { id } }',
    "Subscription.segmentMembershipChanged": "subscription { segmentMembershipChanged("
    'segmentId: "seg_x") { kind } }',
    "Query.segment": '{ segment(id: "seg_x") { id } }',
    "Query.segments": "{ segments { id } }",
    "Query.destinations": "{ destinations { id } }",
    "Query.activations": '{ activations(segmentId: "s") { cursor } }',
    "Query.syncRuns": '{ syncRuns(segmentId: "s") { id } }',
    "Mutation.createDestination": 'mutation { createDestination(input: {name: "d", kind: '
    'WEBHOOK, url: "http://127.0.0.1:1/x"}) { __typename } }',
    "Mutation.activateSegment": 'mutation { activateSegment(segmentId: "s", destinationId: '
    '"d") { __typename } }',
    "Mutation.syncNow": 'mutation { syncNow(segmentId: "s", destinationId: "d") { __typename } }',
    "Query.segmentOverlap": '{ segmentOverlap(ids: ["s1", "s2"]) { union } }',
    "Mutation.createSegment": 'mutation { createSegment(name: "s", definition: {rule: '
    '{inSegment: "x"}}) { __typename } }',
    "Mutation.updateSegment": 'mutation { updateSegment(id: "seg_x", definition: {rule: '
    '{inSegment: "x"}}) { __typename } }',
    "Mutation.deleteSegment": 'mutation { deleteSegment(id: "seg_x") { __typename } }',
    "Mutation.previewSegment": "mutation { previewSegment(definition: {rule: "
    '{inSegment: "x"}}) { __typename } }',
    "Mutation.setConsent": 'mutation { setConsent(input: {customerId: "cus_x", purpose: '
    '"marketing", status: GRANTED}) { __typename } }',
    "Query.exportCustomer": '{ exportCustomer(id: "cus_x") }',
    "Mutation.eraseCustomer": 'mutation { eraseCustomer(id: "cus_x") { __typename } }',
}


def _graphql_root_fields() -> set[str]:
    """Query, Mutation and Subscription fields as the served schema names them."""
    graphql_schema = schema._schema
    found = set()
    roots = {"Query": graphql_schema.query_type, "Mutation": graphql_schema.mutation_type,
             "Subscription": graphql_schema.subscription_type}  # fmt: skip
    for kind, root in roots.items():
        if root is not None:
            found.update(f"{kind}.{name}" for name in root.fields)
    return found


def test_every_root_field_of_the_schema_is_in_the_permission_table() -> None:
    missing = _graphql_root_fields() - set(PERMISSIONS)
    assert not missing, f"add {sorted(missing)} to PERMISSIONS in resolvers/permissions.py"
    stale = set(PERMISSIONS) - _graphql_root_fields()
    assert not stale, f"PERMISSIONS names fields the schema does not have: {sorted(stale)}"
    assert {c.split(".")[0] for c in PERMISSIONS} <= set(ROOT_TYPES)


def test_every_root_field_has_a_call_in_this_test() -> None:
    assert set(CALLS) == _graphql_root_fields()


def test_the_roles_follow_the_issue() -> None:
    allowed = {role: {c for c, roles in PERMISSIONS.items() if role in roles} for role in ROLES}
    assert allowed["admin"] == set(PERMISSIONS)
    assert allowed["ingest"] == set()
    assert allowed["viewer"] == {
        "Query.customer", "Query.customers", "Query.device", "Query.searchCustomers",
        "Query.segment", "Query.segments", "Query.segmentOverlap", "Subscription.customerChanged",
        "Subscription.segmentMembershipChanged",
    }  # fmt: skip
    assert not any(c.startswith("Mutation.") for c in allowed["analyst"])
    assert {c for c in allowed["marketer"] if c.startswith("Mutation.")} == {
        "Mutation.createSegment", "Mutation.updateSegment", "Mutation.deleteSegment",
        "Mutation.previewSegment", "Mutation.createDestination", "Mutation.activateSegment",
        "Mutation.syncNow", "Mutation.setConsent",
    }  # fmt: skip
    assert "Query.auditLog" not in allowed["analyst"] | allowed["marketer"]


class Reached(Exception):
    """The resolver ran (the guard let the call through)."""


class Tripwire:
    """Any repository: the first use proves the resolver was reached."""

    def __getattr__(self, name: str) -> Any:
        raise Reached(name)


def context(role: str) -> Context:
    wire = cast(Any, Tripwire())
    return Context(
        profiles=wire, normalise=wire, rules=DEFAULT_RULES, settings=wire, splits=wire,
        changes=None, trait_store=wire, reviews=wire, traits=(), cached=wire,
        related=wire, loaders=wire, hub=wire, search=wire, segments=wire, activations=wire,
        audit_entries=wire, privacy=wire,
        actor=f"key:test-{role}", role=role,
    )  # fmt: skip


async def _run(document: str, ctx: Context) -> Any:
    """Execute a query or mutation; subscribe to a subscription and take its first result."""
    if not document.startswith("subscription"):
        return await schema.execute(document, context_value=ctx)
    stream = await schema.subscribe(document, context_value=ctx)
    assert hasattr(stream, "__anext__"), stream
    return await stream.__anext__()


MATRIX = [(role, coordinate) for role in (*ROLES, "") for coordinate in sorted(CALLS)]


@pytest.mark.parametrize(("role", "coordinate"), MATRIX)
async def test_the_matrix_is_enforced(role: str, coordinate: str) -> None:
    ctx = context(role)
    result = await _run(CALLS[coordinate], ctx)
    assert result.errors, "every call either is refused or reaches the tripwire"
    error = result.errors[0]
    if role in PERMISSIONS[coordinate]:
        assert isinstance(error.original_error, Reached), error
        assert ctx.access.calls == [coordinate]
    else:
        assert error.extensions == {"code": "FORBIDDEN", "field": coordinate}
        assert error.path == [coordinate.split(".")[1]]
        assert ctx.access.denied == [coordinate]
        assert ctx.access.calls == []


async def test_a_forbidden_field_does_not_hide_an_allowed_one() -> None:
    ctx = context("viewer")
    result = await schema.execute('{ customer(id: "cus_x") { id } reviews { status } }',
                                  context_value=ctx)  # fmt: skip
    codes = sorted(
        (e.path[0] if e.path else "", (e.extensions or {}).get("code", type(e.original_error)))
        for e in result.errors or []
    )
    assert codes == [("customer", Reached), ("reviews", "FORBIDDEN")]
    assert ctx.access == Access(calls=["Query.customer"], customer_ids={"cus_x"},
                                denied=["Query.reviews"])  # fmt: skip
