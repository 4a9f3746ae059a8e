// name: activation.finish_sync
// returns: sync_id. Ends a sync of the activation ($segment_id to $destination_id) held by
// $owner: the cursor moves to $cursor (the consent cursor to $consent_cursor), initial ends when $initial_done, the counts add up, the
// lease is released, and a SyncRun {sync_id, segment_id, destination_id, mode, started_at,
// finished_at, entered, exited, withheld (enters not sent: no consent), failed, errors} records it (RAN from the segment, TO the
// destination).
MATCH (s:Segment {segment_id: $segment_id})-[r:ACTIVATED_TO]->(d:Destination {destination_id: $destination_id})
WHERE r.lease_owner = $owner
SET r.cursor = $cursor, r.initial = r.initial AND NOT $initial_done,
    r.consent_cursor = $consent_cursor,
    r.delivered = r.delivered + $entered + $exited, r.failed = r.failed + $failed,
    r.last_sync_at = $now, r.lease_until = null, r.lease_owner = null
CREATE (run:SyncRun {sync_id: $sync_id, segment_id: s.segment_id,
                     destination_id: d.destination_id, mode: $mode, started_at: $started_at,
                     finished_at: $now, entered: $entered, exited: $exited, failed: $failed,
                     withheld: $withheld,
                     errors: $errors})
CREATE (s)-[:RAN]->(run)-[:TO]->(d)
RETURN run.sync_id AS sync_id
