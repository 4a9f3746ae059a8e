"""DataLoaders made per request: every list field of a page of customers costs one Cypher
round trip for the whole page, whatever its size (no N+1)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader

from graph.cache import ProfileCache
from graph.model import ConsentChange
from graph.repository import (
    EventPage,
    Profile,
    ProfileRepository,
    Related,
    RelatedRepository,
)
from graph.repository.related import RelatedKind
from graph.repository.segments import SegmentRepository

K = TypeVar("K")
V = TypeVar("V")


def _by_key(
    fetch: Callable[[list[K]], Awaitable[Mapping[K, V]]], missing: Callable[[], V]
) -> DataLoader[K, V]:
    async def load(keys: list[K]) -> list[V]:
        found = await fetch(keys)
        return [found.get(k, missing()) for k in keys]

    return DataLoader(load_fn=load)


@dataclass
class Loaders:
    profiles_repo: ProfileRepository
    related_repo: RelatedRepository
    segments_repo: SegmentRepository
    # Profiles through the process's cache when given (the API's), else from Neo4j.
    cache: ProfileCache | None = None
    _events: dict[EventPage, DataLoader[str, list[dict[str, Any]]]] = field(default_factory=dict)
    _related: dict[tuple[RelatedKind, int, int], DataLoader[str, list[Related]]] = field(
        default_factory=dict
    )

    # Each loader is made when a request first uses it: most requests use one or none, and
    # making all six cost about 5% of an uncached profile read's CPU.
    @cached_property
    def profiles(self) -> DataLoader[str, Profile | None]:
        return _by_key((self.cache or self.profiles_repo).profiles, lambda: None)

    @cached_property
    def groups(self) -> DataLoader[str, list[dict[str, Any]]]:
        return _by_key(self.profiles_repo.groups, list)

    @cached_property
    def device_customers(self) -> DataLoader[str, list[str]]:
        return _by_key(self.related_repo.customers_of_devices, list)

    @cached_property
    def identifier_customers(self) -> DataLoader[str, list[str]]:
        return _by_key(self.related_repo.customers_of_identifiers, list)

    @cached_property
    def memberships(self) -> DataLoader[str, list[dict[str, Any]]]:
        return _by_key(self.segments_repo.segments_of, list)

    @cached_property
    def consents(self) -> DataLoader[str, list[ConsentChange]]:
        return _by_key(self.profiles_repo.consents, list)

    def events(self, page: EventPage) -> DataLoader[str, list[dict[str, Any]]]:
        """The loader of one page shape (every customer asking the same page shares it)."""
        if page not in self._events:
            repo = self.profiles_repo

            async def fetch(ids: list[str]) -> Mapping[str, list[dict[str, Any]]]:
                return await repo.events(ids, page)

            self._events[page] = _by_key(fetch, list)
        return self._events[page]

    def related(self, kind: RelatedKind, depth: int, limit: int) -> DataLoader[str, list[Related]]:
        key = (kind, depth, limit)
        if key not in self._related:
            repo = self.related_repo

            async def fetch(ids: list[str]) -> Mapping[str, list[Related]]:
                return await repo.related(kind, ids, depth, limit)

            self._related[key] = _by_key(fetch, list)
        return self._related[key]
