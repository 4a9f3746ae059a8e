"""Search values and the index's ``Protocol``: plain data, no I/O.

A search asks for ``first`` customers matching a free-text ``query`` (names with typos,
email and phone fragments) and a :class:`SearchFilter` (sources, segments, trait values),
after an opaque cursor; it answers a :class:`SearchPage` of customer ids with the total and
the facets. Two adapters implement :class:`SearchIndex`: OpenSearch
(:mod:`graph.search.opensearch`) and Neo4j's full-text index (:mod:`graph.search.neo4j`).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

TraitValue = str | int | float | bool
MAX_FIRST = 100
MAX_QUERY = 200


class SearchError(Exception):
    """Base of the search errors."""


class InvalidSearch(SearchError):
    """The caller's input cannot be searched (empty query, bad page size or cursor)."""


class SearchUnavailable(SearchError):
    """The search backend failed or did not answer."""


@dataclass(frozen=True)
class TraitFilter:
    """A computed trait equal to ``equals`` and/or within [``gte``, ``lte``] (numbers)."""

    name: str
    equals: TraitValue | None = None
    gte: float | None = None
    lte: float | None = None


@dataclass(frozen=True)
class SearchFilter:
    """Every part narrows: any of ``sources``, any of ``segments``, every trait filter."""

    sources: tuple[str, ...] | None = None
    segments: tuple[str, ...] | None = None
    traits: tuple[TraitFilter, ...] = ()


@dataclass(frozen=True)
class Cursor:
    """Where a page ends: the last hit's score and id (keyset pagination, both backends)."""

    score: float
    customer_id: str

    def encode(self) -> str:
        raw = json.dumps([self.score, self.customer_id], separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> Cursor:
        """Raises:
        InvalidSearch: the text is not a cursor this service made."""
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
            score, customer_id = json.loads(raw)
        except (binascii.Error, ValueError, TypeError):
            raise InvalidSearch(f"not a cursor: {text[:40]!r}") from None
        if not isinstance(score, int | float) or isinstance(score, bool):
            raise InvalidSearch(f"not a cursor: {text[:40]!r}")
        if not isinstance(customer_id, str) or not customer_id:
            raise InvalidSearch(f"not a cursor: {text[:40]!r}")
        return cls(float(score), customer_id)


@dataclass(frozen=True)
class Hit:
    customer_id: str
    score: float

    @property
    def cursor(self) -> Cursor:
        return Cursor(self.score, self.customer_id)


@dataclass(frozen=True)
class Facet:
    value: str
    count: int


@dataclass(frozen=True)
class SearchPage:
    """``hits`` best first; ``has_next``: more hits after the last one."""

    hits: tuple[Hit, ...]
    total: int
    has_next: bool
    sources: tuple[Facet, ...] = ()
    segments: tuple[Facet, ...] = ()


@dataclass(frozen=True)
class CustomerDocument:
    """What the index knows of one live customer (read from the graph)."""

    customer_id: str
    display_name: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None
    updated_at: str | None = None
    sources: tuple[str, ...] = ()
    segments: tuple[str, ...] = ()
    traits: Mapping[str, TraitValue] = field(default_factory=dict)


class SearchIndex(Protocol):
    """Customer search. ``follows_changes``: documents must be sent with :meth:`index` and
    :meth:`delete` as customers change (OpenSearch); False when the index follows the graph
    by itself (Neo4j's full-text index, updated in the writing transaction)."""

    kind: Literal["opensearch", "neo4j"]
    follows_changes: bool

    async def ensure_index(self) -> bool:
        """Create what the index needs unless it exists; True when created."""
        ...

    async def index(self, docs: Sequence[CustomerDocument]) -> None: ...

    async def delete(self, ids: Sequence[str]) -> None: ...

    async def search(
        self, query: str, filter: SearchFilter, first: int, after: Cursor | None
    ) -> SearchPage: ...


def checked(query: str, first: int) -> str:
    """The query stripped, or InvalidSearch naming what is wrong with the input."""
    text = query.strip()
    if not text:
        raise InvalidSearch("query must not be empty")
    if len(text) > MAX_QUERY:
        raise InvalidSearch(f"query must be at most {MAX_QUERY} characters")
    if not 1 <= first <= MAX_FIRST:
        raise InvalidSearch(f"first must be between 1 and {MAX_FIRST}")
    return text


def digits(text: str) -> str:
    """The digits of ``text`` (a phone fragment as the index holds phones: digits only)."""
    return "".join(ch for ch in text if ch.isascii() and ch.isdigit())


_PHONE_LIKE = re.compile(r"[\d+\-(). /]+")


def phone_fragment(text: str) -> str | None:
    """The digits to look for in phones: those of the words of ``text`` written like a phone
    number (digits and phone punctuation only), when there are at least three; None
    otherwise. ``Ada 415`` gives 415 and ``+1 (415) 555`` 1415555; an email like
    ``a.b77c6@x`` holds digits that are no phone's."""
    number = "".join(digits(w) for w in text.split() if _PHONE_LIKE.fullmatch(w))
    return number if len(number) >= 3 else None


def fuzziness(term: str) -> int:
    """Edits allowed for a term, as OpenSearch's ``AUTO``: 0 up to 2 characters, 1 up to 5,
    else 2."""
    return 0 if len(term) <= 2 else 1 if len(term) <= 5 else 2
