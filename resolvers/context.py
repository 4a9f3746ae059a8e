"""The per-request GraphQL context (repositories now; DataLoaders join it per request)."""

from __future__ import annotations

from dataclasses import dataclass

import strawberry

from graph.repository import ProfileRepository


@dataclass
class Context:
    profiles: ProfileRepository


Info = strawberry.Info[Context, None]
