"""A query's cost, from its document alone: every selected field counts 1, and the fields under
a field with a ``first`` argument count ``first`` times (a list of 500 histories of 10 fields
costs 5,000). Fragments count where they are spread; ``first`` may be a literal or a variable.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
)


def operation_of(document: DocumentNode, name: str | None) -> OperationDefinitionNode | None:
    """The operation that runs: the one called ``name``, or the only one."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is None:
        return operations[0] if len(operations) == 1 else None
    return next((o for o in operations if o.name and o.name.value == name), None)


def query_cost(
    document: DocumentNode, operation_name: str | None, variables: Mapping[str, Any] | None
) -> int:
    """The cost of the operation that runs (0 when there is none to run)."""
    operation = operation_of(document, operation_name)
    if operation is None:
        return 0
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    return _cost(operation.selection_set, fragments, variables or {}, frozenset())


def _cost(
    selections: SelectionSetNode | None,
    fragments: Mapping[str, FragmentDefinitionNode],
    variables: Mapping[str, Any],
    spreading: frozenset[str],
) -> int:
    if selections is None:
        return 0
    total = 0
    for node in selections.selections:
        if isinstance(node, FieldNode):
            inner = _cost(node.selection_set, fragments, variables, spreading)
            total += 1 + _first(node, variables) * inner
        elif isinstance(node, InlineFragmentNode):
            total += _cost(node.selection_set, fragments, variables, spreading)
        elif isinstance(node, FragmentSpreadNode):
            name = node.name.value
            if name in fragments and name not in spreading:  # cycles are invalid anyway
                total += _cost(fragments[name].selection_set, fragments, variables,
                               spreading | {name})  # fmt: skip
    return total


def _first(field: FieldNode, variables: Mapping[str, Any]) -> int:
    for argument in field.arguments or ():
        if argument.name.value != "first":
            continue
        value = argument.value
        if isinstance(value, IntValueNode):
            return max(1, int(value.value))
        if isinstance(value, VariableNode):
            given = variables.get(value.name.value)
            if isinstance(given, int):
                return max(1, given)
    return 1
