"""Segments: a typed rule tree over the customer graph (pure logic; Cypher comes from cypher/)."""
