// name: event.finish_retention
// returns: nothing. The retention job held by $owner ran at $now, deleting $deleted events.
MATCH (j:Job {name: 'retention'})
WHERE j.owner = $owner
SET j.last_run_at = $now, j.lease_until = null, j.last_deleted = $deleted
