"""The per-request GraphQL context (repositories now; DataLoaders join it per request)."""

from __future__ import annotations

from dataclasses import dataclass

import strawberry

from graph.cache import ProfileCache
from graph.repository import (
    ProfileRepository,
    RelatedRepository,
    ReviewRepository,
    SettingsRepository,
    SplitRepository,
    TraitRepository,
)
from graph.search import SearchIndex
from matching.normalise import NormaliseOptions
from matching.rules import IdentityRules
from resolvers.customer.loaders import Loaders
from resolvers.hub import ChangeHub
from resolvers.identity.operations import ChangePublisher
from traits.computed import Trait


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
    search: SearchIndex  # OpenSearch or Neo4j full-text, as the lifespan decided
    # Traits a customer carries besides the computed ones (`graphcdp predict`'s).
    predicted: tuple[str, ...] = ()
    actor: str = "graphql"  # who acts (the API key's name once the API authenticates callers)

    @property
    def trait_names(self) -> tuple[str, ...]:
        """The traits GraphQL lists and filters on: computed, then predicted."""
        return tuple(t.name for t in self.traits) + self.predicted


Info = strawberry.Info[Context, None]
