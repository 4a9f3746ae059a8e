"""Which GraphQL documents may be answered from the response cache (``api/response_cache.py``).

A response can be kept only when everything in it comes from a customer's cached profile
(``graph.cache.ProfileCache``), because only profile changes invalidate it: the root field
``customer`` and, below it, the fields ``Customer.from_profile`` fills (golden attributes,
traits, identifiers, devices, provenance). Events, segments, consent, related customers and
every other field read the graph on each request and are never cached.

The check is static: the document is a single query whose every field, in every fragment,
is in ``CACHEABLE``; its result is memoised per (query, operation name).
"""

from __future__ import annotations

from functools import lru_cache

from graphql import (
    FieldNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    TypeInfo,
    TypeInfoVisitor,
    Visitor,
    parse,
    visit,
)

# Type.field coordinates served from one cached profile (Customer.from_profile).
_PROFILE_FIELDS = {
    "Customer": "id requestedId displayName email phone firstName lastName createdAt updatedAt "
    "recordCount identifiers devices provenance traits",
    "Identifier": "key type value",
    "Device": "id kind os firstSeen lastSeen",
    "AttributeProvenance": "attribute value recordId source timestamp policy",
    "TraitValue": "name value",
}
CACHEABLE: frozenset[str] = frozenset(
    {"Query.customer"}
    | {f"{type_}.{name}" for type_, names in _PROFILE_FIELDS.items() for name in names.split()}
)


class _Fields(Visitor):
    def __init__(self, types: TypeInfo) -> None:
        super().__init__()
        self.types = types
        self.outside = False

    def enter_field(self, node: FieldNode, *_: object) -> None:
        parent = self.types.get_parent_type()
        name = node.name.value
        if name == "__typename":
            return
        if parent is None or f"{getattr(parent, 'name', '')}.{name}" not in CACHEABLE:
            self.outside = True


def cacheable(schema: GraphQLSchema, query: str, operation_name: str | None) -> bool:
    """Whether the response to ``query`` depends only on cached profiles (and the caller's
    role, which masks PII): a single query operation (named ``operation_name`` if given)
    reading only ``CACHEABLE`` fields. A document that does not parse is not cacheable."""
    return _checked(schema, query, operation_name)[0]


def operation_name(schema: GraphQLSchema, query: str, requested: str | None) -> str | None:
    """The name of a cacheable document's operation, as Strawberry names it when the request
    gives none (the metrics label of its hits)."""
    return _checked(schema, query, requested)[1]


@lru_cache(maxsize=1024)
def _checked(
    schema: GraphQLSchema, query: str, operation_name: str | None
) -> tuple[bool, str | None]:
    try:
        document = parse(query, no_location=True, max_tokens=2000)
    except GraphQLError:
        return False, None
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if len(operations) != 1 or operations[0].operation is not OperationType.QUERY:
        return False, None
    name = operations[0].name.value if operations[0].name else None
    if operation_name is not None and name != operation_name:
        return False, None
    types = TypeInfo(schema)
    fields = _Fields(types)
    visit(document, TypeInfoVisitor(types, fields))
    return not fields.outside, name
