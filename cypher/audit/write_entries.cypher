// name: audit.write_entries
// returns: written (the count). One AuditEntry per row of $rows: who (actor, role), what
// (operation, kind, fields, customer_ids), when (at). Never values: no PII in the log.
// MERGE on entry_id (unique) makes a retried batch harmless. Customers are kept as ids, not
// relationships, so writing the log never locks a customer node.
UNWIND $rows AS row
MERGE (a:AuditEntry {entry_id: row.entry_id})
  ON CREATE SET a.at = row.at, a.actor = row.actor, a.role = row.role,
                a.operation = row.operation, a.kind = row.kind, a.fields = row.fields,
                a.customer_ids = row.customer_ids
RETURN count(*) AS written
