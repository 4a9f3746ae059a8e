"""The per-request GraphQL context: repositories, the caller (actor and role, resolved once
per request from its API key or JWT) and what the request touched (for the audit log)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import strawberry

from activation.delivery import Senders
from activation.sync import DeadLetter
from graph.cache import ProfileCache
from graph.repository import (
    AuditRepository,
    ProfileRepository,
    RelatedRepository,
    ReviewRepository,
    SettingsRepository,
    SplitRepository,
    TraitRepository,
)
from graph.repository.activations import ActivationRepository
from graph.repository.segments import SegmentRepository
from graph.search import SearchIndex
from matching.normalise import NormaliseOptions
from matching.rules import IdentityRules
from resolvers.audit.trail import Access, AuditLog
from resolvers.customer.loaders import Loaders
from resolvers.hub import ChangeHub
from resolvers.identity.operations import ChangePublisher
from resolvers.privacy.services import PrivacyServices
from traits.computed import Trait


@dataclass
class Answer:
    """What a response showed, for the response cache (``api/response_cache.py``): the
    customers it shows (their changes invalidate it), and whether it may be kept at all
    (no errors, no customer missing)."""

    tags: set[str] = field(default_factory=set)
    clean: bool = True
    audit: dict[str, Any] | None = None  # the audit row the request wrote, if any

    def shows(self, *customer_ids: str) -> None:
        self.tags.update(customer_ids)

    def spoil(self) -> None:
        self.clean = False


@dataclass
class Context:
    profiles: ProfileRepository
    normalise: NormaliseOptions
    rules: IdentityRules  # in force for this request (the graph's setting, else the file)
    settings: SettingsRepository
    splits: SplitRepository
    changes: ChangePublisher | None
    trait_store: TraitRepository
    reviews: ReviewRepository
    traits: tuple[Trait, ...]
    cached: ProfileCache  # profiles and identifier lookups, cached in two tiers
    related: RelatedRepository
    loaders: Loaders  # made per request: a page's list fields load together
    hub: ChangeHub  # changed customer ids, for subscriptions
    segments: SegmentRepository
    search: SearchIndex  # OpenSearch or Neo4j full-text, as the lifespan decided
    audit_entries: AuditRepository
    activations: ActivationRepository
    senders: Senders | None = None  # delivery for syncNow (the API's own clients)
    dead_letter: DeadLetter | None = None
    privacy: PrivacyServices | None = None  # consent, erasure and export
    # The consent purposes that need an explicit grant (GRAPHCDP_CONSENT_OPT_IN).
    opt_in: frozenset[str] = frozenset()
    # Traits a customer carries besides the computed ones (`graphcdp predict`'s).
    predicted: tuple[str, ...] = ()
    actor: str = "anonymous"  # who acts: key:<API key name> or jwt:<sub>
    role: str = ""  # the caller's role (resolvers/permissions.py); none: nothing allowed
    audit: AuditLog | None = None  # where this request's audit entry goes
    access: Access = field(default_factory=Access)  # what this request touched
    answer: Answer = field(default_factory=Answer)  # what the response shows (response cache)

    @property
    def trait_names(self) -> tuple[str, ...]:
        """The traits GraphQL lists and filters on: computed, then predicted."""
        return tuple(t.name for t in self.traits) + self.predicted


Info = strawberry.Info[Context, None]
