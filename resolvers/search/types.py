"""GraphQL types of customer search (a connection with a total and facets)."""

from __future__ import annotations

import strawberry
from strawberry.scalars import JSON

from resolvers.customer.types import Customer
from resolvers.pagination import PageInfo


@strawberry.input(description="A computed trait's value: equal to `equals`, and/or within "
                  "[`atLeast`, `atMost`] (numbers).")  # fmt: skip
class TraitFilterInput:
    name: str
    equals: JSON | None = None
    at_least: float | None = None
    at_most: float | None = None


@strawberry.input(description="Narrows a search: every part given must hold.")
class CustomerSearchFilter:
    sources: list[str] | None = strawberry.field(
        default=None, description="Customers with a record from any of these sources."
    )
    segments: list[str] | None = strawberry.field(
        default=None, description="Customers in any of these segments (segment ids)."
    )
    traits: list[TraitFilterInput] | None = strawberry.field(
        default=None, description="Computed traits, every one of these must hold."
    )


@strawberry.type
class FacetValue:
    value: str
    count: int


@strawberry.type(description="How many matches have each value (the top 20), over all pages.")
class SearchFacets:
    sources: list[FacetValue]
    segments: list[FacetValue]


@strawberry.type
class CustomerSearchEdge:
    cursor: str
    score: float
    node: Customer


@strawberry.type(description="A page of matching customers, best first.")
class CustomerSearchResult:
    edges: list[CustomerSearchEdge]
    page_info: PageInfo
    total_count: int = strawberry.field(description="Matches over all pages.")
    facets: SearchFacets
    backend: str = strawberry.field(description="opensearch or neo4j")

    @strawberry.field
    def nodes(self) -> list[Customer]:
        return [edge.node for edge in self.edges]
