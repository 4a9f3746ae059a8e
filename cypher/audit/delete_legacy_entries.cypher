// name: audit.delete_legacy_entries
// returns: deleted (the count). Deletes the AuditEntry nodes of $ids, in the transaction that
// stored them as an AuditBatch (graph.schema.migrate_audit_entries).
MATCH (a:AuditEntry)
WHERE a.entry_id IN $ids
DETACH DELETE a
RETURN count(*) AS deleted
