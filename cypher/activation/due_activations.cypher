// name: activation.due_activations
// returns: due (one row: a list of [segment_id, destination_id]): the active activations with
// something to send now and no lease held ($now past lease_until): realtime ones whose segment
// has changes after the cursor (or an initial audience to send), scheduled ones whose
// schedule_seconds have passed since the last sync.
MATCH (s:Segment)-[r:ACTIVATED_TO]->(d:Destination)
WHERE r.status = 'active' AND s.deleted_at IS NULL AND coalesce(r.lease_until, '') < $now
  AND ((r.mode = 'realtime' AND (r.initial OR coalesce(s.seq, 0) > r.cursor))
       OR (r.mode = 'scheduled' AND (r.initial OR coalesce(s.seq, 0) > r.cursor)
           AND (r.last_sync_at IS NULL OR datetime(r.last_sync_at)
                + duration({seconds: coalesce(r.schedule_seconds, 3600)}) <= datetime($now))))
RETURN collect([s.segment_id, d.destination_id]) AS due
