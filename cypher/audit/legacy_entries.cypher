// name: audit.legacy_entries
// returns: row (entry_id, at, actor, role, operation, kind, fields, customer_ids) of at most
// $n AuditEntry nodes, oldest first: the audit log as it was stored before AuditBatch (one
// node an entry), which graph.schema.migrate_audit_entries moves into batches.
MATCH (a:AuditEntry)
RETURN a {.entry_id, .at, .actor, .role, .operation, .kind, .fields, .customer_ids} AS row
ORDER BY a.at, a.entry_id
LIMIT $n
