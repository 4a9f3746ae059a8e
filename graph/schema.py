"""``graphcdp schema apply``: constraints and indexes from ``cypher/schema/`` (idempotent),
then the data migrations (the audit log's entries into batches)."""

from __future__ import annotations

from typing import Any

from neo4j import Driver, GraphDatabase, ManagedTransaction, Query

from graph.cypher import queries
from graph.driver import auth
from graph.repository.access import batch_params
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
        migrate_audit_entries(driver, settings.neo4j_database)
    return count


def migrate_audit_entries(driver: Driver, database: str, chunk: int = 1000) -> int:
    """Move the audit log as it was stored before ``AuditBatch`` (one ``AuditEntry`` node an
    entry) into batches of ``chunk`` entries, oldest first, each batch written and its
    entries deleted in one transaction; returns how many entries moved (0 once done)."""
    taken, stored, deleted = (
        queries()[f"audit.{name}"].text
        for name in ("legacy_entries", "write_batch", "delete_legacy_entries")
    )

    def move(tx: ManagedTransaction) -> int:
        rows: list[dict[str, Any]] = [dict(r["row"]) for r in tx.run(taken, n=chunk)]
        if rows:
            tx.run(stored, **batch_params(rows)).consume()
            tx.run(deleted, ids=[r["entry_id"] for r in rows]).consume()
        return len(rows)

    moved = 0
    with driver.session(database=database) as session:
        while n := session.execute_write(move):
            moved += n
    return moved
