"""Neo4j: driver lifecycle, the Cypher loader, schema and repositories."""
