"""Privacy through GraphQL: setConsent, eraseCustomer and exportCustomer (privacy/)."""

from __future__ import annotations

import uuid

import strawberry
from graphql import GraphQLError
from strawberry.scalars import JSON

from graph.model import ConsentChange, FieldError, now_iso
from privacy.consent import expiry, purpose_name
from privacy.erase import erase_customer
from privacy.export import export_document
from resolvers.context import Info
from resolvers.identity.mutations import CustomerNotFound
from resolvers.privacy.services import PrivacyServices
from resolvers.privacy.types import (
    ConsentInput,
    ConsentInvalid,
    ConsentSet,
    CustomerErased,
    EraseResult,
    SetConsentResult,
    consent_now,
)


def _services(info: Info) -> PrivacyServices:
    if info.context.privacy is None:
        raise GraphQLError("privacy operations are not configured in this process",
                           extensions={"code": "UNAVAILABLE"})  # fmt: skip
    return info.context.privacy


@strawberry.type
class PrivacyQueries:
    @strawberry.field(
        description="Everything held about a person, as one JSON document (an access or "
        "portability request): attributes with their provenance, traits, identifiers, "
        "devices, records, events, consent, segments, groups, merges and splits."
    )
    async def export_customer(self, info: Info, id: strawberry.ID) -> JSON | None:
        row = await _services(info).repo.export(str(id))
        if row is None:
            return None
        info.context.access.read_pii("Query.exportCustomer", [str(id)])
        return JSON(export_document(row, trait_names=info.context.trait_names,
                                    exported_at=now_iso(), opt_in=info.context.opt_in))  # fmt: skip


@strawberry.type
class PrivacyMutations:
    @strawberry.mutation(
        description="Record a consent statement (a preference centre, a support agent); the "
        "latest statement of a purpose is the consent in force, and the history is kept."
    )
    async def set_consent(self, info: Info, input: ConsentInput) -> SetConsentResult:
        try:
            change = ConsentChange(
                purpose_name(input.purpose), input.status.value, now_iso(),
                (input.source or "").strip() or f"api:{info.context.actor}",
                expiry(input.expires_at, "expiresAt"),
            )  # fmt: skip
        except FieldError as err:
            return ConsentInvalid(field=err.field, reason=err.reason)
        services = _services(info)
        live = await services.repo.set_consent(
            str(input.customer_id), change, f"api_{uuid.uuid4().hex[:20]}"
        )
        if live is None:
            return CustomerNotFound(customer_id=input.customer_id)
        if info.context.changes is not None:
            await info.context.changes.publish_changes([(live, {
                "type": "customer.updated", "customer_id": live, "consent": [change.purpose],
                "at": change.at,
            })])  # fmt: skip
        history = (await info.context.profiles.consents([live])).get(live, [])
        return ConsentSet(customer_id=strawberry.ID(live),
                          consent=consent_now(history, now_iso(), info.context.opt_in))  # fmt: skip

    @strawberry.mutation(
        description="Erase a person (right to be forgotten): the customer, the ids merged "
        "into it and everything that is theirs alone, in Neo4j, Redis and OpenSearch; their "
        "identifiers stay suppressed so replayed or late events do not bring them back; "
        "destinations that may have received them are told. Irreversible."
    )
    async def erase_customer(
        self, info: Info, id: strawberry.ID, reference: str | None = None
    ) -> EraseResult:
        services, ctx = _services(info), info.context
        try:
            done = await erase_customer(
                services.repo, str(id), hash_of=services.hash_of, caches=ctx.cached,
                search=ctx.search if ctx.search.follows_changes else None,
                changes=ctx.changes, notify=services.notify, dead_letter=ctx.dead_letter,
                audit=ctx.audit_entries.write, actor=ctx.actor, role=ctx.role,
                reference=reference,
            )  # fmt: skip
        except ValueError as err:
            raise GraphQLError(str(err), extensions={"code": "BAD_USER_INPUT"}) from None
        if done is None:
            return CustomerNotFound(customer_id=id)
        return CustomerErased(
            erasure_id=strawberry.ID(done.erasure_id), customer_id=strawberry.ID(done.customer_id),
            counts=JSON(dict(done.counts)), suppressed=done.suppressed, notified=len(done.notified),
        )  # fmt: skip
