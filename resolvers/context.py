"""The per-request GraphQL context (repositories now; DataLoaders join it per request)."""

from __future__ import annotations

from dataclasses import dataclass

import strawberry

from graph.repository import ProfileRepository
from matching.normalise import NormaliseOptions


@dataclass
class Context:
    profiles: ProfileRepository
    normalise: NormaliseOptions


Info = strawberry.Info[Context, None]
