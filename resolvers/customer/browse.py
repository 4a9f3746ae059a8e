"""Browsing the graph from the root: pages of customers, identity paths, a device."""

from __future__ import annotations

from typing import Annotated

import strawberry

from graph.repository import CustomerWhere
from resolvers.context import Info
from resolvers.customer.connections import (
    CustomerConnection,
    CustomerFilter,
    PathStep,
)
from resolvers.customer.types import Device, customer_page, customers_of
from resolvers.pagination import bad_input, page_size, uncursor


@strawberry.type
class BrowseQueries:
    @strawberry.field(description="Live customers in id order, filtered, a page at a time.")
    async def customers(
        self, info: Info, filter: CustomerFilter | None = None, first: int = 20,
        after: str | None = None,
    ) -> CustomerConnection:  # fmt: skip
        limit = page_size(first)
        start = uncursor(after, 1)[0] if after else ""
        where = _where(info, filter or CustomerFilter())
        ids, total = await info.context.profiles.customers(where, start, limit + 1)
        return await customer_page(info, ids, limit, total)

    @strawberry.field(
        description="The shortest path between two customers or records (ids of either) "
        "over records, identifiers, model links, devices and merges; null when none is "
        "within 10 hops. It answers 'why are these the same customer?'"
    )
    async def identity_path(
        self, info: Info, from_: Annotated[strawberry.ID, strawberry.argument(name="from")],
        to: strawberry.ID,
    ) -> list[PathStep] | None:  # fmt: skip
        steps = await info.context.related.identity_path(str(from_), str(to))
        if steps is None:
            return None
        return [PathStep(label=s["label"], id=str(s["id"]), via=s["via"]) for s in steps]

    @strawberry.field(description="A device, by id (its customers are a field).")
    async def device(self, info: Info, id: strawberry.ID) -> Device | None:
        ids = await info.context.loaders.device_customers.load(str(id))
        if not ids:
            return None
        for customer in await customers_of(info, ids[:1]):
            for device in customer.devices:
                if device.id == id:
                    return device
        return None


def _where(info: Info, f: CustomerFilter) -> CustomerWhere:
    traits = set(info.context.trait_names)
    if f.trait is not None and f.trait not in traits:
        raise bad_input(f"unknown trait {f.trait!r}; traits are: {', '.join(sorted(traits))}")
    if f.trait is None and f.trait_value is not None:
        raise bad_input("traitValue needs trait")
    value = f.trait_value
    if value is not None and not isinstance(value, str | int | float | bool):
        raise bad_input("traitValue must be a string, a number or a boolean")
    return CustomerWhere(
        source=f.source, updated_since=f.updated_since, updated_before=f.updated_before,
        identifier_type=f.identifier_type, trait=f.trait, trait_value=value,
    )  # fmt: skip
