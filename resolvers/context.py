"""The per-request GraphQL context (repositories now; DataLoaders join it per request)."""

from __future__ import annotations

from dataclasses import dataclass

import strawberry

from graph.repository import ProfileRepository
from matching.normalise import NormaliseOptions
from matching.rules import IdentityRules


@dataclass
class Context:
    profiles: ProfileRepository
    normalise: NormaliseOptions
    rules: IdentityRules


Info = strawberry.Info[Context, None]
