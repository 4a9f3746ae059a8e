"""Integration tests talk to the real servers of the local stack; a missing one is started."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from neo4j import AsyncDriver

from graph.driver import open_driver
from graph.schema import apply_schema
from graphcdp.settings import Settings


@pytest.fixture(scope="session")
def settings() -> Settings:
    settings = Settings.from_env()
    from stack import up

    up(settings)  # idempotent: a no-op when `make test` already started the stack
    apply_schema(settings)
    return settings


@pytest.fixture(scope="session")
async def driver(settings: Settings) -> AsyncIterator[AsyncDriver]:
    driver = await open_driver(settings)
    yield driver
    await driver.close()
