// name: activation.due_activations
// returns: due (one row: a list of [segment_id, destination_id]): the active activations with
// something to send now and no lease held ($now past lease_until): realtime ones whose segment
// has changes after the cursor (or an initial audience to send, or consent changes of its
// purpose recorded after its consent cursor and before $settled), scheduled ones whose
// schedule_seconds have passed since the last sync.
MATCH (s:Segment)-[r:ACTIVATED_TO]->(d:Destination)
WHERE r.status = 'active' AND s.deleted_at IS NULL AND coalesce(r.lease_until, '') < $now
WITH s, r, d, r.initial OR coalesce(s.seq, 0) > r.cursor OR EXISTS {
  MATCH (x:ConsentChange {purpose: coalesce(d.purpose, 'marketing')})
  WHERE x.recorded_at > coalesce(r.consent_cursor, r.created_at) AND x.recorded_at <= $settled
} AS pending
WHERE ((r.mode = 'realtime' AND pending)
       OR (r.mode = 'scheduled' AND pending
           AND (r.last_sync_at IS NULL OR datetime(r.last_sync_at)
                + duration({seconds: coalesce(r.schedule_seconds, 3600)}) <= datetime($now))))
RETURN collect([s.segment_id, d.destination_id]) AS due
