// name: audit.prune_batches
// returns: batches, entries (the counts deleted). Deletes at most $n AuditBatch nodes whose
// newest entry is older than $before (the audit log's retention, GRAPHCDP_AUDIT_RETENTION_DAYS);
// called again until it deletes none.
MATCH (b:AuditBatch)
WHERE b.last_at < $before
WITH b, b.count AS entries
LIMIT $n
DETACH DELETE b
RETURN count(*) AS batches, coalesce(sum(entries), 0) AS entries
