"""The fresh start of the benches that clear the graph (``--fresh``): the graph emptied, and
the worker's input topics with it (:mod:`stack.topics`: otherwise a replay or a new consumer
group would bring the cleared customers back)."""

from __future__ import annotations

from neo4j import AsyncDriver

from graphcdp.settings import Settings
from ingest.resolve_job import clear_graph
from stack.topics import input_topics_emptied


async def clear(settings: Settings, driver: AsyncDriver) -> None:
    """Empty the graph and the input topics."""
    await clear_graph(driver, settings.neo4j_database)
    await input_topics_emptied(settings)
