"""``graphcdp schema apply``: constraints and indexes from ``cypher/schema/`` (idempotent)."""

from __future__ import annotations

from neo4j import GraphDatabase, Query

from graph.cypher import queries
from graph.driver import auth
from graphcdp.settings import Settings


def apply_schema(settings: Settings) -> int:
    """Run every ``schema.*`` statement (each is ``IF NOT EXISTS``); return how many ran."""
    count = 0
    with GraphDatabase.driver(settings.neo4j_uri, auth=auth(settings)) as driver:
        for name, query in sorted(queries().items()):
            if not name.startswith("schema.") or name.startswith("schema.show_"):
                continue
            for statement in query.statements():
                driver.execute_query(
                    Query(statement, metadata={"query": name}),
                    database_=settings.neo4j_database,
                )
                count += 1
        driver.execute_query("CALL db.awaitIndexes(300)", database_=settings.neo4j_database)
    return count
