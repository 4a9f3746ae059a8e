"""The schema extension that turns a request's access record into an audit entry."""

from __future__ import annotations

from collections.abc import Iterator

from strawberry.extensions import SchemaExtension
from strawberry.types.execution import StreamExecutionResult
from strawberry.types.graphql import OperationType

from graph.model import now_iso
from resolvers.audit.trail import Access, audit_row
from resolvers.context import Context


class AuditTrail(SchemaExtension):
    """After an operation runs: a mutation, a read of PII (by a role that sees it) or a refused
    field becomes one buffered audit entry (see ``AuditLog``). A subscription's events run
    after its operation: each event that reads PII becomes an entry of its own."""

    def on_execute(self) -> Iterator[None]:
        yield
        self._record()

    def on_stream_result(self, result: StreamExecutionResult) -> Iterator[None]:
        self._record()
        yield

    def _record(self) -> None:
        execution = self.execution_context
        ctx = execution.context
        if not isinstance(ctx, Context) or ctx.audit is None or ctx.access == Access():
            return
        operation_type = execution.operation_type  # it parsed: something was touched
        kind = ctx.access.kind(operation_type == OperationType.MUTATION)
        if kind is None:
            return
        operation = execution.operation_name or "anonymous"
        row = audit_row(ctx.access, kind, ctx.actor, ctx.role, operation, now_iso())
        ctx.audit.record(row)
        ctx.answer.audit = row  # a response cache hit of this answer is audited alike
        # Recorded once: a subscription's later events start afresh (keeping its root call).
        subscribed = operation_type == OperationType.SUBSCRIPTION
        ctx.access = Access(calls=list(ctx.access.calls) if subscribed else [])
