"""GraphQL types of the identity graph."""

from __future__ import annotations

import json
from typing import Any

import strawberry

from resolvers.pii import identifier_kind, key_kind, pii


def _kept_apart(source: Any) -> list[str]:
    return [str(c) for c in source.customer_ids]


def _changed(source: Any) -> list[str]:
    return [str(c) for c in (*source.kept, *source.absorbed, *source.split_off)]


def _held_by(source: Any) -> list[str]:
    return [str(source.customer_id)]


@strawberry.type(description="A link the identity rules refused, with the customers kept apart.")
class Conflict:
    id: strawberry.ID
    at: str
    reason: str = strawberry.field(
        description="limit (a per-type limit), contradiction (a weak link between different "
        "strong ids) or disagree (first names or birth dates disagree)"
    )
    record_id: str
    identifier: str = strawberry.field(
        description="The identifier key, type:value",
        extensions=[pii(lambda s: key_kind(s.identifier), _kept_apart)],
    )
    customer_ids: list[strawberry.ID]

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Conflict:
        return cls(
            id=strawberry.ID(row["conflict_id"]),
            at=row["at"],
            reason=row["reason"],
            record_id=row["record_id"],
            identifier=row["identifier"],
            customer_ids=[strawberry.ID(c) for c in row["customers"]],
        )


@strawberry.type(description="A merge or a split of customers, with its cause and actor.")
class IdentityChange:
    id: strawberry.ID
    kind: str = strawberry.field(description="merge or split")
    at: str
    cause: str | None = strawberry.field(description="rule, model or operator")
    record_id: str | None = strawberry.field(description="The record whose link caused it")
    identifier: str | None = strawberry.field(
        description="The identifier key that linked",
        extensions=[pii(lambda s: key_kind(s.identifier or ""), _changed)],
    )
    actor: str | None
    detail: str | None
    kept: list[strawberry.ID] = strawberry.field(description="The customer that kept its id")
    absorbed: list[strawberry.ID] = strawberry.field(description="Customers merged in")
    split_off: list[strawberry.ID] = strawberry.field(description="Customers a split created")

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> IdentityChange:
        return cls(
            id=strawberry.ID(row["change_id"]),
            kind=row["kind"],
            at=row["at"],
            cause=row.get("cause"),
            record_id=row.get("record_id"),
            identifier=row.get("identifier"),
            actor=row.get("actor"),
            detail=row.get("detail"),
            kept=[strawberry.ID(c) for c in row["kept"]],
            absorbed=[strawberry.ID(c) for c in row["absorbed"]],
            split_off=[strawberry.ID(c) for c in row["split_off"]],
        )


@strawberry.type(description="A source observation of the customer (a CRM row, an identify).")
class IdentityRecord:
    id: strawberry.ID
    source: str | None
    kind: str | None
    timestamp: str | None


@strawberry.type(description="An identifier of the customer's records, with its flags.")
class HeldIdentifier:
    key: str = strawberry.field(extensions=[pii(lambda s: key_kind(s.key), _held_by)])
    type: str
    value: str = strawberry.field(extensions=[pii(lambda s: identifier_kind(s.type), _held_by)])
    blocked: bool
    over_degree: bool
    customer_count: int = strawberry.field(description="Live customers it leads to")
    customer_id: strawberry.Private[str]


@strawberry.type(description="A record holds an identifier; whether it joins, and why.")
class IdentityLink:
    record_id: strawberry.ID
    identifier: str = strawberry.field(extensions=[pii(lambda s: key_kind(s.identifier), _held_by)])
    joins: bool
    why: str = strawberry.field(extensions=[pii("text", _held_by)])
    customer_id: strawberry.Private[str]


@strawberry.type(description="One comparison's part in a model score (a waterfall step).")
class WaterfallStep:
    comparison: str
    level: str
    weight: float
    tf_adjustment: float


@strawberry.type(description="A probabilistic link between two records, with its reasons.")
class ModelLink:
    record_id: strawberry.ID
    other_record_id: strawberry.ID
    probability: float
    match_weight: float
    model_version: str
    waterfall: list[WaterfallStep]

    @strawberry.field(description='The waterfall in words: "first_name: exact match +6.3; ..."')
    def summary(self) -> str:
        return "; ".join(
            f"{s.comparison}: {s.level.lower()} {s.weight + s.tf_adjustment:+.1f}"
            for s in self.waterfall
        )

    @classmethod
    def from_row(cls, record_id: str, row: dict[str, Any]) -> ModelLink:
        steps = json.loads(row.get("explanation") or "[]")
        return cls(
            record_id=strawberry.ID(record_id),
            other_record_id=strawberry.ID(row["to"]),
            probability=float(row["probability"]),
            match_weight=float(row["match_weight"]),
            model_version=str(row["model_version"]),
            waterfall=[WaterfallStep(**step) for step in steps],
        )


@strawberry.type(description="The records, identifiers and links of a customer, explained.")
class IdentityGraph:
    records: list[IdentityRecord]
    identifiers: list[HeldIdentifier]
    links: list[IdentityLink]
    model_links: list[ModelLink]
    merges: list[IdentityChange]


@strawberry.type(description="The identity rules in force and where they come from.")
class IdentityRulesSetting:
    source: str = strawberry.field(
        description="graph (set through setIdentityRules), or configuration (the file of "
        "GRAPHCDP_IDENTITY_RULES, or the defaults)"
    )
    version: int | None
    yaml: str | None = strawberry.field(description="The YAML text of the graph setting")
    updated_at: str | None
    actor: str | None
    types: list[IdentifierRule]


@strawberry.type(description="One identifier type's rule as resolution applies it.")
class IdentifierRule:
    type: str
    identifying: bool
    priority: int
    limit: int | None
    degree_cap: int | None
    weak: bool
    check_names: bool


@strawberry.type
class ConflictCount:
    reason: str
    count: int
