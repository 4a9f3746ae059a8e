"""The schema extension that turns a request's access record into an audit entry."""

from __future__ import annotations

from collections.abc import Iterator

from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from graph.model import now_iso
from resolvers.audit.trail import audit_row
from resolvers.context import Context


class AuditTrail(SchemaExtension):
    """After an operation runs: a mutation, a read of PII (by a role that sees it) or a refused
    field becomes one buffered audit entry (see ``AuditLog``)."""

    def on_execute(self) -> Iterator[None]:
        yield
        execution = self.execution_context
        ctx = execution.context
        if not isinstance(ctx, Context) or ctx.audit is None:
            return
        mutation = execution.operation_type == OperationType.MUTATION
        kind = ctx.access.kind(mutation)
        if kind is None:
            return
        operation = execution.operation_name or "anonymous"
        ctx.audit.record(audit_row(ctx.access, kind, ctx.actor, ctx.role, operation, now_iso()))
