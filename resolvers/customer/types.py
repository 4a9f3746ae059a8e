"""GraphQL types of the unified profile."""

from __future__ import annotations

import json
from enum import Enum
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.scalars import JSON

from graph.model import now_iso
from graph.repository import EventPage, Profile
from matching.explain import HeldIdentifier as HeldId
from matching.explain import HeldRecord, explain
from resolvers.context import Info
from resolvers.customer.connections import (
    CustomerConnection,
    CustomerEdge,
    Event,
    EventConnection,
    EventEdge,
    Group,
    RelatedCustomer,
    RelatedKind,
)
from resolvers.identity.types import (
    HeldIdentifier,
    IdentityChange,
    IdentityGraph,
    IdentityLink,
    IdentityRecord,
    ModelLink,
)
from resolvers.pagination import PageInfo, bad_input, cursor, page_size, uncursor
from resolvers.pii import PII_ATTRIBUTES, identifier_kind, pii
from resolvers.privacy.types import Consent, ConsentRecord, consent_now
from resolvers.segments.types import Membership


@strawberry.enum(description="Kinds of identifier a customer can be looked up by.")
class IdentifierType(Enum):
    EMAIL = "email"
    PHONE = "phone"
    USER_ID = "user_id"
    ANONYMOUS_ID = "anonymous_id"
    DEVICE_ID = "device_id"
    CRM_ID = "crm_id"


@strawberry.input(description="An identifier value of a given type (normalised on lookup).")
class IdentifierInput:
    type: IdentifierType
    value: str


def _own(source: Any) -> list[str]:
    """The customer a PII value belongs to (for the audit log)."""
    return [str(source.customer_id)]


def _of_customer(source: Any) -> list[str]:
    return [str(source.id)]


@strawberry.type
class Identifier:
    key: str = strawberry.field(
        extensions=[pii(lambda s: "key" if identifier_kind(s.type.value) else None, _own)]
    )
    type: IdentifierType
    value: str = strawberry.field(extensions=[pii(lambda s: identifier_kind(s.type.value), _own)])
    customer_id: strawberry.Private[str]

    @strawberry.field(description="The live customers whose records hold it, in id order.")
    async def customers(self, info: Info, first: int = 50) -> list[Customer]:
        ids = await info.context.loaders.identifier_customers.load(self.key)
        return await customers_of(info, ids[: page_size(first)])


@strawberry.type
class Device:
    id: strawberry.ID
    kind: str | None
    os: str | None
    first_seen: str | None
    last_seen: str | None

    @strawberry.field(description="The live customers using it, in id order.")
    async def customers(self, info: Info, first: int = 50) -> list[Customer]:
        ids = await info.context.loaders.device_customers.load(str(self.id))
        return await customers_of(info, ids[: page_size(first)])


@strawberry.type(description="Where a golden attribute's value came from (survivorship).")
class AttributeProvenance:
    attribute: str
    value: str | None = strawberry.field(
        extensions=[pii(lambda s: PII_ATTRIBUTES.get(s.attribute), _own)]
    )
    record_id: strawberry.ID
    source: str
    timestamp: str
    policy: str = strawberry.field(
        description="most_recent, source_priority, most_frequent or first_seen"
    )
    customer_id: strawberry.Private[str]


@strawberry.type(description="A computed trait's current value (see the traits settings).")
class TraitValue:
    name: str
    value: JSON | None


@strawberry.type(description="A unified customer profile.")
class Customer:
    id: strawberry.ID
    requested_id: strawberry.ID = strawberry.field(
        description="The id asked for; differs from id when it was merged into this customer."
    )
    display_name: str | None = strawberry.field(extensions=[pii("name", _of_customer)])
    email: str | None = strawberry.field(extensions=[pii("email", _of_customer)])
    phone: str | None = strawberry.field(extensions=[pii("phone", _of_customer)])
    first_name: str | None = strawberry.field(extensions=[pii("name", _of_customer)])
    last_name: str | None = strawberry.field(extensions=[pii("name", _of_customer)])
    created_at: str | None
    updated_at: str | None
    record_count: int
    identifiers: list[Identifier]
    devices: list[Device]
    provenance: list[AttributeProvenance] = strawberry.field(
        description="For each golden attribute, the record whose value won, and the policy."
    )

    properties: strawberry.Private[dict[str, Any]]

    @strawberry.field(
        description="Computed traits (declared in configuration), then predictive traits "
        "(graphcdp predict: churn_risk, expected_purchases_<N>d, predicted_clv ...), by name."
    )
    def traits(self, info: Info) -> list[TraitValue]:
        return [TraitValue(name=name, value=self.properties.get(name))
                for name in info.context.trait_names]  # fmt: skip

    @strawberry.field(description="Merges and splits of this customer, newest first.")
    async def history(self, info: Info, first: int = 50) -> list[IdentityChange]:
        if not 1 <= first <= 500:
            raise GraphQLError(
                "first must be between 1 and 500", extensions={"code": "BAD_USER_INPUT"}
            )
        rows = await info.context.profiles.history(str(self.id), first)
        return [IdentityChange.from_row(r) for r in rows]

    @strawberry.field(description="Events, newest first; by name and in [since, until).")
    async def events(
        self, info: Info, first: int = 20, after: str | None = None,
        names: list[str] | None = None, since: str | None = None, until: str | None = None,
    ) -> EventConnection:  # fmt: skip
        limit = page_size(first)
        before = uncursor(after, 2) if after else None
        page = EventPage(limit + 1, (before[0], before[1]) if before else None,
                         tuple(names) if names else None, since, until)  # fmt: skip
        rows = await info.context.loaders.events(page).load(str(self.id))
        edges = [EventEdge(cursor=cursor(r["timestamp"], r["event_id"]), node=Event.from_row(r))
                 for r in rows[:limit]]  # fmt: skip
        return EventConnection(
            edges=edges,
            page_info=PageInfo(has_next_page=len(rows) > limit,
                               end_cursor=edges[-1].cursor if edges else None),
        )  # fmt: skip

    @strawberry.field(description="The segments it is a member of now, by name.")
    async def segments(self, info: Info) -> list[Membership]:
        rows = await info.context.loaders.memberships.load(str(self.id))
        return [Membership(segment_id=strawberry.ID(m["segment_id"]), name=m["name"],
                           since=m["since"]) for m in rows]  # fmt: skip

    @strawberry.field(description="Consent in force, per purpose: the latest statement of each.")
    async def consent(self, info: Info) -> list[Consent]:
        history = await info.context.loaders.consents.load(str(self.id))
        return consent_now(history, now_iso(), info.context.opt_in)

    @strawberry.field(description="Every consent statement, oldest first (of one purpose).")
    async def consent_history(self, info: Info, purpose: str | None = None) -> list[ConsentRecord]:
        history = await info.context.loaders.consents.load(str(self.id))
        return [ConsentRecord.of(c) for c in history if purpose in (None, c.purpose)]

    @strawberry.field(description="Its groups; households are groups of type household.")
    async def groups(self, info: Info) -> list[Group]:
        rows = await info.context.loaders.groups.load(str(self.id))
        return [
            Group(
                id=strawberry.ID(g["group_id"]),
                household=str(g.get("type", "")).lower() == "household",
                traits=JSON({k: v for k, v in g.items() if k not in _GROUP_OWN}),
            )
            for g in rows
        ]

    @strawberry.field(
        description="Customers sharing a device, an address or a group with this one, and "
        "those sharing one with them, up to depth hops (1 to 3), nearest first. A thing "
        "shared by more than 50 customers (a kiosk, a shop's address) relates no one."
    )
    async def related(
        self, info: Info, kind: RelatedKind, depth: int = 1, first: int = 20
    ) -> list[RelatedCustomer]:
        if not 1 <= depth <= 3:
            raise bad_input("depth must be between 1 and 3")
        found = await info.context.loaders.related(kind.value, depth, page_size(first)).load(
            str(self.id)
        )
        profiles = await info.context.loaders.profiles.load_many([r.customer_id for r in found])
        return [
            RelatedCustomer(
                customer=Customer.from_profile(p),
                hops=r.hops,
                through=strawberry.ID(r.through),
                via=r.via,
                kind=kind.value,
            )
            for r, p in zip(found, profiles, strict=True)
            if p is not None
        ]

    @strawberry.field(description="Records, identifiers and links, each link explained.")
    async def identity_graph(self, info: Info) -> IdentityGraph:
        rows = await info.context.profiles.identity_graph(str(self.id))
        records = [
            HeldRecord(
                r["record_id"], r["source"], r["kind"], r["timestamp"],
                tuple(HeldId(i["key"], i["type"], i["value"], i["blocked"], i["over_degree"],
                             i["customers"]) for i in r["identifiers"]),
            )
            for r in rows
        ]  # fmt: skip
        held = {i.key: i for r in records for i in r.identifiers}
        merges = await info.context.profiles.history(str(self.id), 500)
        return IdentityGraph(
            records=[
                IdentityRecord(
                    id=strawberry.ID(r.record_id),
                    source=r.source,
                    kind=r.kind,
                    timestamp=r.timestamp,
                )
                for r in records
            ],
            identifiers=[
                HeldIdentifier(
                    key=i.key,
                    type=i.type,
                    value=i.value,
                    blocked=i.blocked,
                    over_degree=i.over_degree,
                    customer_count=i.customers,
                    customer_id=str(self.id),
                )
                for _, i in sorted(held.items())
            ],
            links=[
                IdentityLink(
                    record_id=strawberry.ID(link.record_id),
                    identifier=link.identifier,
                    joins=link.joins,
                    why=link.why,
                    customer_id=str(self.id),
                )
                for link in explain(records, info.context.rules)
            ],
            model_links=[
                ModelLink.from_row(r["record_id"], m) for r in rows for m in r.get("matches", [])
            ],
            merges=[IdentityChange.from_row(m) for m in merges if m["kind"] == "merge"],
        )

    @classmethod
    def from_profile(cls, profile: Profile) -> Customer:
        c = profile.customer
        return cls(
            id=strawberry.ID(c["customer_id"]),
            requested_id=strawberry.ID(profile.requested_id),
            display_name=c.get("display_name"),
            email=c.get("email"),
            phone=c.get("phone"),
            first_name=c.get("first_name"),
            last_name=c.get("last_name"),
            created_at=c.get("created_at"),
            updated_at=c.get("updated_at"),
            record_count=profile.record_count,
            properties=dict(c),
            provenance=[
                AttributeProvenance(
                    attribute=attribute,
                    value=_text(c.get(attribute)),
                    record_id=strawberry.ID(p["record_id"]),
                    source=p["source"],
                    timestamp=p["timestamp"],
                    policy=p["policy"],
                    customer_id=c["customer_id"],
                )
                for attribute, p in sorted(json.loads(c.get("golden_provenance") or "{}").items())
            ],
            identifiers=[
                Identifier(
                    key=i["key"],
                    type=IdentifierType(i["type"]),
                    value=i["value"],
                    customer_id=c["customer_id"],
                )
                for i in profile.identifiers
                if i["type"] in IdentifierType._value2member_map_
            ],
            devices=[
                Device(
                    id=strawberry.ID(d["device_id"]),
                    kind=d.get("kind"),
                    os=d.get("os"),
                    first_seen=d.get("first_seen"),
                    last_seen=d.get("last_seen"),
                )
                for d in profile.devices
            ],
        )


_GROUP_OWN = frozenset({"group_id", "created_at", "updated_at"})


async def customers_of(info: Info, ids: list[str]) -> list[Customer]:
    """The customers of ``ids`` (in that order; ids no longer found are left out), loaded
    together with every other customer of the request."""
    profiles = await info.context.loaders.profiles.load_many(ids)
    return [Customer.from_profile(p) for p in profiles if p is not None]


async def customer_page(info: Info, ids: list[str], limit: int, total: int) -> CustomerConnection:
    """A page of the customers of ``ids`` (fetched with one more than ``limit``, to know
    whether another page follows); cursors are the ids' positions."""
    page = ids[:limit]
    nodes = await customers_of(info, page)
    return CustomerConnection(
        edges=[CustomerEdge(cursor=cursor(str(c.id)), node=c) for c in nodes],
        total_count=total,
        page_info=PageInfo(has_next_page=len(ids) > limit,
                           end_cursor=cursor(page[-1]) if page else None),
    )  # fmt: skip


def _text(value: object) -> str | None:
    return None if value is None else str(value)
