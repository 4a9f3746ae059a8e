"""Checks of a whole operation before it runs: the cost limit, and introspection (admins
only in production). A refused operation runs nothing and answers errors with codes."""

from __future__ import annotations

from collections.abc import Iterator

from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    SelectionSetNode,
)
from strawberry.extensions import SchemaExtension

from resolvers.cost import operation_of, query_cost


def introspects(document: DocumentNode, operation_name: str | None) -> bool:
    """Whether the operation asks for ``__schema`` or ``__type`` (at its root, fragments
    included; ``__typename`` is not introspection)."""
    operation = operation_of(document, operation_name)
    if operation is None:
        return False
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }

    def walk(selections: SelectionSetNode, seen: frozenset[str]) -> bool:
        for node in selections.selections:
            if isinstance(node, FieldNode) and node.name.value in ("__schema", "__type"):
                return True
            if isinstance(node, InlineFragmentNode) and walk(node.selection_set, seen):
                return True
            if isinstance(node, FragmentSpreadNode):
                name = node.name.value
                if (
                    name in fragments
                    and name not in seen
                    and walk(fragments[name].selection_set, seen | {name})
                ):
                    return True
        return False

    return walk(operation.selection_set, frozenset())


class OperationGuard(SchemaExtension):
    """Refuses operations above ``cost_limit`` (``COST_LIMIT``), and introspection by a
    non-admin when ``production`` (``FORBIDDEN``)."""

    def __init__(self, *, production: bool, cost_limit: int) -> None:
        self.production = production
        self.cost_limit = cost_limit

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        errors: list[GraphQLError] = []
        if document is not None:
            role = str(getattr(context.context, "role", ""))
            if (
                self.production
                and role != "admin"
                and introspects(document, context.operation_name)
            ):
                errors.append(GraphQLError(
                    "introspection is disabled for this role in production",
                    extensions={"code": "FORBIDDEN"},
                ))  # fmt: skip
            cost = query_cost(document, context.operation_name, context.variables)
            if cost > self.cost_limit:
                errors.append(GraphQLError(
                    f"query cost {cost} is above the limit of {self.cost_limit} (fields, times "
                    "the `first` of the lists around them)",
                    extensions={"code": "COST_LIMIT", "cost": cost, "limit": self.cost_limit},
                ))  # fmt: skip
        if errors:
            context.result = ExecutionResult(data=None, errors=errors)
        yield
