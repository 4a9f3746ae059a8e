"""Cursor pagination shared by the connections: opaque cursors and bounded page sizes."""

from __future__ import annotations

import base64
import json
from typing import Any

import strawberry
from graphql import GraphQLError

MAX_PAGE = 100


@strawberry.type(description="Where a page ends and whether another follows.")
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


def bad_input(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": "BAD_USER_INPUT"})


def page_size(first: int, most: int = MAX_PAGE) -> int:
    """``first`` when it is between 1 and ``most``; a BAD_USER_INPUT error otherwise."""
    if not 1 <= first <= most:
        raise bad_input(f"first must be between 1 and {most}")
    return first


def cursor(*parts: str) -> str:
    """An opaque cursor holding ``parts`` (clients pass it back as ``after``)."""
    return base64.urlsafe_b64encode(json.dumps(parts).encode()).decode()


def uncursor(text: str, size: int) -> tuple[str, ...]:
    """The ``size`` parts of a cursor made by :func:`cursor`; BAD_USER_INPUT if it is not one."""
    try:
        parts: Any = json.loads(base64.urlsafe_b64decode(text.encode()))
    except (ValueError, UnicodeError):
        raise bad_input(f"not a cursor of this API: {text[:40]!r}") from None
    if not (
        isinstance(parts, list) and len(parts) == size and all(isinstance(p, str) for p in parts)
    ):
        raise bad_input(f"not a cursor of this API: {text[:40]!r}")
    return tuple(parts)
