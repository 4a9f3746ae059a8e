"""GraphQL types of consent, erasure and the access export."""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum
from typing import Annotated

import strawberry
from strawberry.scalars import JSON

from graph.model import ConsentChange
from privacy.consent import allows, current, expired
from resolvers.identity.mutations import CustomerNotFound


@strawberry.enum(description="A person's choice for a purpose.")
class ConsentStatus(Enum):
    GRANTED = "granted"
    DENIED = "denied"
    REVOKED = "revoked"


@strawberry.type(description="One statement of consent, as a source made it.")
class ConsentRecord:
    purpose: str
    status: ConsentStatus
    source: str
    at: str
    expires_at: str | None

    @classmethod
    def of(cls, change: ConsentChange) -> ConsentRecord:
        return cls(purpose=change.purpose, status=ConsentStatus(change.status),
                   source=change.source, at=change.at, expires_at=change.expires_at)  # fmt: skip


@strawberry.type(description="The consent in force for a purpose: its latest statement.")
class Consent(ConsentRecord):
    expired: bool = strawberry.field(description="It had an expiry, and that has passed.")
    allowed: bool = strawberry.field(
        description="Whether the purpose is allowed now: granted and unexpired; with an "
        "expired statement, the purpose's default (opt-in purposes need a grant)."
    )


def consent_now(
    history: Sequence[ConsentChange], now: str, opt_in: frozenset[str]
) -> list[Consent]:
    """The latest statement of each purpose, by purpose name."""
    return [
        Consent(purpose=c.purpose, status=ConsentStatus(c.status), source=c.source, at=c.at,
                expires_at=c.expires_at, expired=expired(c, now),
                allowed=allows(c, purpose=c.purpose, now=now, opt_in=opt_in))
        for _, c in sorted(current(history).items())
    ]  # fmt: skip


@strawberry.input(description="A consent statement made through the API (a preference centre).")
class ConsentInput:
    customer_id: strawberry.ID
    purpose: str
    status: ConsentStatus
    source: str | None = strawberry.field(
        default=None, description="Who stated it; the caller (api:<actor>) when omitted."
    )
    expires_at: str | None = strawberry.field(default=None, description="ISO-8601 time.")


@strawberry.type(description="A consent input that cannot be applied, and why.")
class ConsentInvalid:
    field: str
    reason: str


@strawberry.type(description="The statement was recorded; the customer's consent now.")
class ConsentSet:
    customer_id: strawberry.ID
    consent: list[Consent]


SetConsentResult = Annotated[
    ConsentSet | ConsentInvalid | CustomerNotFound, strawberry.union("SetConsentResult")
]


@strawberry.type(description="What an erasure removed (counts only: nothing about the person).")
class CustomerErased:
    erasure_id: strawberry.ID
    customer_id: strawberry.ID
    counts: JSON
    suppressed: int = strawberry.field(
        description="Identifiers now suppressed: later messages bearing them are dropped."
    )
    notified: int = strawberry.field(description="Destinations told of the erasure.")


EraseResult = Annotated[CustomerErased | CustomerNotFound, strawberry.union("EraseResult")]
