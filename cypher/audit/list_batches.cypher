// name: audit.list_batches
// returns: batch_id, last_at, entries (JSON); at most $n AuditBatch nodes, newest last_at
// first, below the batch cursor ($below_at, $below_id: the last batch of the page before;
// '~' and '' from the top), that may hold entries before the entry cursor (first_at at or
// before $before; '~': any) and, when $actor is not null, entries of that actor.
// graph.repository.access.AuditRepository.entries reads pages of these until the entries
// it has are surely the newest (batches overlap in time: several API processes flush).
MATCH (b:AuditBatch)
WHERE b.last_at <= $below_at
  AND (b.last_at < $below_at OR b.batch_id < $below_id)
  AND b.first_at <= $before
  AND ($actor IS NULL OR $actor IN b.actors)
RETURN b.batch_id AS batch_id, b.last_at AS last_at, b.entries AS entries
ORDER BY b.last_at DESC, b.batch_id DESC
LIMIT $n
