// name: event.claim_retention
// returns: claimed (one row, true when this process may run the retention job now): the job
// is due when it last ran before $due_before and no other process holds it ($now past its
// lease); the winner holds it until $until. One worker prunes at a time, whatever their number.
MERGE (j:Job {name: 'retention'})
WITH j, coalesce(j.lease_until, '') < $now AND coalesce(j.last_run_at, '') <= $due_before AS due
SET j.lease_until = CASE WHEN due THEN $until ELSE j.lease_until END,
    j.owner = CASE WHEN due THEN $owner ELSE j.owner END
RETURN due AS claimed
