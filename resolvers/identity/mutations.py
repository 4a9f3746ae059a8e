"""Identity-graph mutations: an operator's corrections (unmerge)."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import strawberry

from graph.model import Correction, InvalidIdentifier, SplitKind
from graph.repository import SettingsRepository
from matching.normalise import identifier_key
from matching.rules import RulesError, parse_rules
from matching.split import SplitError
from resolvers.context import Info
from resolvers.identity.operations import split_customer


@strawberry.enum(description="What an operator corrects in a customer's identity graph.")
class CorrectionKind(Enum):
    LINK = "link"
    IDENTIFIER = "identifier"
    RECORD = "record"
    BLOCK = "block"


@strawberry.input(
    description="LINK: remove recordId's link to identifier; IDENTIFIER: detach identifier "
    "from every record of the customer; RECORD: detach recordId into a customer of its own; "
    "BLOCK: block the identifier value everywhere. Identifiers are `type:value`."
)
class CorrectionInput:
    kind: CorrectionKind
    record_id: str | None = None
    identifier: str | None = None


@strawberry.type(description="One customer the split left (the first keeps the old id).")
class SplitPart:
    customer_id: strawberry.ID
    new: bool
    record_ids: list[strawberry.ID]
    events: int


@strawberry.type(description="The correction was applied; parts lists every customer after it.")
class SplitDone:
    customer_id: strawberry.ID
    split: bool = strawberry.field(description="False when the records stayed connected")
    parts: list[SplitPart]


@strawberry.type(description="The correction does not apply (unknown record, identifier ...).")
class SplitRefused:
    reason: str


@strawberry.type(description="No live customer has this id.")
class CustomerNotFound:
    customer_id: strawberry.ID


SplitResult = Annotated[
    SplitDone | SplitRefused | CustomerNotFound, strawberry.union("SplitResult")
]


@strawberry.type(description="The new identity rules are stored; workers apply them within 5 s.")
class RulesSaved:
    version: int


@strawberry.type(description="The rules were not stored; the reason names the bad key.")
class RulesInvalid:
    reason: str


RulesResult = Annotated[RulesSaved | RulesInvalid, strawberry.union("RulesResult")]


@strawberry.type
class IdentityMutations:
    @strawberry.mutation(
        description="Replace the identity rules (YAML, the format of GRAPHCDP_IDENTITY_RULES): "
        "checked first, stored as a new version in the graph, previous versions kept."
    )
    async def set_identity_rules(self, info: Info, yaml: str) -> RulesResult:
        try:
            parse_rules(yaml, "yaml")
        except RulesError as err:
            return RulesInvalid(reason=str(err))
        version = await info.context.settings.put(
            SettingsRepository.IDENTITY_RULES, yaml, info.context.actor
        )
        return RulesSaved(version=version)

    @strawberry.mutation(
        description="Correct a customer (unmerge) and re-resolve its records only; recorded "
        "in customer { history } with the actor and reason."
    )
    async def split_customer(
        self, info: Info, customer_id: strawberry.ID, correction: CorrectionInput,
        reason: str | None = None,
    ) -> SplitResult:  # fmt: skip
        kind: SplitKind = correction.kind.value
        needs_record = kind in ("link", "record")
        needs_identifier = kind in ("link", "identifier", "block")
        if needs_record != (correction.record_id is not None):
            return SplitRefused(reason=f"{kind} {'needs' if needs_record else 'takes no'} recordId")
        if needs_identifier != (correction.identifier is not None):
            return SplitRefused(
                reason=f"{kind} {'needs' if needs_identifier else 'takes no'} identifier"
            )
        key = None
        if correction.identifier is not None:
            try:
                key = identifier_key(correction.identifier, info.context.normalise)
            except InvalidIdentifier as err:
                return SplitRefused(reason=str(err))
        ctx = info.context
        try:
            plan = await split_customer(
                ctx.splits, ctx.changes, str(customer_id),
                Correction(kind, correction.record_id, key), ctx.rules, ctx.actor, reason,
                traits=(ctx.trait_store, ctx.traits),
            )  # fmt: skip
        except SplitError as err:
            return SplitRefused(reason=str(err))
        if plan is None:
            return CustomerNotFound(customer_id=customer_id)
        return SplitDone(
            customer_id=strawberry.ID(plan.customer_id),
            split=plan.split,
            parts=[
                SplitPart(
                    customer_id=strawberry.ID(p.customer_id),
                    new=p.new,
                    record_ids=[strawberry.ID(r) for r in p.record_ids],
                    events=p.events,
                )
                for p in plan.parts
            ],
        )
