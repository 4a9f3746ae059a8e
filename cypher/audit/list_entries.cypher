// name: audit.list_entries
// returns: entry_id, at, actor, role, operation, kind, fields, customer_ids; newest first,
// $first rows after the cursor ($after_at, $after_id; empty strings: from the newest),
// of one actor when $actor is not null.
MATCH (a:AuditEntry)
WHERE ($actor IS NULL OR a.actor = $actor)
  AND ($after_at = '' OR a.at < $after_at OR (a.at = $after_at AND a.entry_id < $after_id))
RETURN a.entry_id AS entry_id, a.at AS at, a.actor AS actor, a.role AS role,
       a.operation AS operation, a.kind AS kind, a.fields AS fields,
       a.customer_ids AS customer_ids
ORDER BY a.at DESC, a.entry_id DESC
LIMIT $first
