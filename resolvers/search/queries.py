"""``searchCustomers``: a page of customers by names, email or phone fragments and filters."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError

from graph.search import (
    MAX_FIRST,
    Cursor,
    InvalidSearch,
    SearchFilter,
    SearchUnavailable,
    TraitFilter,
)
from resolvers.context import Info
from resolvers.customer.types import Customer
from resolvers.pagination import PageInfo, bad_input
from resolvers.search.types import (
    CustomerSearchEdge,
    CustomerSearchFilter,
    CustomerSearchResult,
    FacetValue,
    SearchFacets,
)


def search_filter(given: CustomerSearchFilter | None, traits: set[str]) -> SearchFilter:
    """The input as a :class:`SearchFilter`; unknown trait names and values that are not
    scalars are refused."""
    if given is None:
        return SearchFilter()
    checked: list[TraitFilter] = []
    for t in given.traits or ():
        if t.name not in traits:
            raise bad_input(f"unknown trait {t.name!r} (known: {', '.join(sorted(traits))})")
        equals: Any = t.equals
        if equals is not None and not isinstance(equals, str | int | float | bool):
            raise bad_input(f"trait {t.name}: equals must be a string, number or boolean")
        if equals is None and t.at_least is None and t.at_most is None:
            raise bad_input(f"trait {t.name}: give equals, atLeast or atMost")
        checked.append(TraitFilter(t.name, equals, t.at_least, t.at_most))
    return SearchFilter(
        sources=tuple(given.sources) if given.sources is not None else None,
        segments=tuple(given.segments) if given.segments is not None else None,
        traits=tuple(checked),
    )


@strawberry.type
class SearchQueries:
    @strawberry.field(
        description="Customers whose names (typos allowed), email or phone contain the query, "
        f"best first; `first` at most {MAX_FIRST}, `after` an `endCursor` of a previous page."
    )
    async def search_customers(
        self,
        info: Info,
        query: str,
        filter: CustomerSearchFilter | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> CustomerSearchResult:
        context = info.context
        try:
            cursor = Cursor.decode(after) if after is not None else None
            wanted = search_filter(filter, set(context.trait_names))
            page = await context.search.search(query, wanted, first, cursor)
        except InvalidSearch as err:
            raise bad_input(str(err)) from None
        except SearchUnavailable as err:
            raise GraphQLError(
                "search is unavailable, try again", extensions={"code": "UNAVAILABLE"}
            ) from err
        # One round trip for the page's profiles (the request's loader, shared with its
        # other customer fields).
        profiles = await context.loaders.profiles.load_many([h.customer_id for h in page.hits])
        edges = [
            CustomerSearchEdge(cursor=hit.cursor.encode(), score=hit.score,
                               node=Customer.from_profile(profile))
            for hit, profile in zip(page.hits, profiles, strict=True)
            if profile is not None
        ]  # fmt: skip
        return CustomerSearchResult(
            edges=edges,
            page_info=PageInfo(
                has_next_page=page.has_next,
                end_cursor=page.hits[-1].cursor.encode() if page.hits else None,
            ),
            total_count=page.total,
            facets=SearchFacets(
                sources=[FacetValue(value=f.value, count=f.count) for f in page.sources],
                segments=[FacetValue(value=f.value, count=f.count) for f in page.segments],
            ),
            backend=context.search.kind,
        )
