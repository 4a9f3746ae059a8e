"""The checked-in ``schema.graphql`` is the schema the API serves."""

from __future__ import annotations

import pathlib

import pytest

from resolvers.schema import schema_sdl

pytestmark = pytest.mark.unit

CHECKED_IN = pathlib.Path(__file__).resolve().parents[2] / "schema.graphql"


def test_the_checked_in_schema_is_current() -> None:
    assert CHECKED_IN.read_text(encoding="utf-8") == schema_sdl(), (
        "schema.graphql is stale: run `graphcdp schema export` and commit it"
    )


def test_the_schema_names_the_profile_lookups() -> None:
    sdl = schema_sdl()
    assert "customer(id: ID = null, identifier: IdentifierInput = null): Customer" in sdl
    assert "type Mutation" in sdl
