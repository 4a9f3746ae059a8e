// name: event.prune_events
// returns: deleted (how many events older than $cutoff were deleted). Runs in batches of
// $batch rows, each its own transaction, so it must be sent as an auto-commit query.
MATCH (e:Event)
WHERE e.timestamp < $cutoff
CALL (e) {
  DETACH DELETE e
} IN TRANSACTIONS OF $batch ROWS
RETURN count(*) AS deleted
