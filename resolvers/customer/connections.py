"""Types around a customer: its events and groups, related customers, identity paths and
customer pages. ``Customer`` is referenced lazily (it refers back to these types)."""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.scalars import JSON

from resolvers.pagination import PageInfo
from resolvers.pii import key_kind, pii


def _nobody(_source: Any) -> list[str]:
    return []


def _related(source: Any) -> list[str]:
    return [str(source.customer.id), str(source.through)]


if TYPE_CHECKING:
    from resolvers.customer.types import Customer

LazyCustomer = Annotated["Customer", strawberry.lazy("resolvers.customer.types")]


@strawberry.type(description="A tracked event of the customer.")
class Event:
    id: strawberry.ID
    type: str
    name: str | None
    timestamp: str
    source: str | None
    properties: JSON | None = strawberry.field(extensions=[pii("json", _nobody)])
    device_ids: list[str]

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Event:
        import json

        text = row.get("properties")
        return cls(
            id=strawberry.ID(row["event_id"]), type=row["type"], name=row.get("name"),
            timestamp=row["timestamp"], source=row.get("source"),
            properties=json.loads(text) if text else None, device_ids=list(row["device_ids"]),
        )  # fmt: skip


@strawberry.type
class EventEdge:
    cursor: str
    node: Event


@strawberry.type(description="A page of events, newest first.")
class EventConnection:
    edges: list[EventEdge]
    page_info: PageInfo


@strawberry.type(description="A group of customers (a household when its type trait says so).")
class Group:
    id: strawberry.ID
    household: bool
    traits: JSON = strawberry.field(extensions=[pii("json", _nobody)])


@strawberry.enum(description="What related customers share.")
class RelatedKind(Enum):
    DEVICE = "device"
    ADDRESS = "address"
    GROUP = "group"
    HOUSEHOLD = "household"


@strawberry.type(description="A customer reached from another through shared things.")
class RelatedCustomer:
    customer: LazyCustomer
    hops: int = strawberry.field(description="How many shared things away (1 to 3).")
    through: strawberry.ID = strawberry.field(description="The customer of the previous hop.")
    via: str = strawberry.field(
        description="The shared device id, address key or group id.",
        extensions=[pii(lambda s: "address" if s.kind == "address" else None, _related)],
    )
    kind: strawberry.Private[str]  # RelatedKind's value


@strawberry.type(description="One node of an identity path and the relationship that led to it.")
class PathStep:
    label: str
    id: str = strawberry.field(
        extensions=[pii(lambda s: key_kind(s.id) if s.label == "Identifier" else None, _nobody)]
    )
    via: str | None


@strawberry.type
class CustomerEdge:
    cursor: str
    node: LazyCustomer


@strawberry.type(description="A page of customers in id order.")
class CustomerConnection:
    edges: list[CustomerEdge]
    page_info: PageInfo
    total_count: int


@strawberry.input(description="Conditions on customers; every one given must hold.")
class CustomerFilter:
    source: str | None = strawberry.field(default=None, description="A record from this source.")
    updated_since: str | None = None
    updated_before: str | None = None
    identifier_type: str | None = strawberry.field(
        default=None, description="Holds an identifier of this type (email, phone, ...)."
    )
    trait: str | None = strawberry.field(
        default=None, description="A computed trait (by name) that is set, or equals traitValue."
    )
    trait_value: JSON | None = None
