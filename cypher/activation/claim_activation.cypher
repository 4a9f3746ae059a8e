// name: activation.claim_activation
// returns: one row when the lease was taken (none when another process holds it): the
// activation (mode, fields, cursor, initial, consent_cursor: the last consent change it
// considered, by recorded_at), the destination (with its secret, for signing) and the
// segment's last seq. The lease (lease_owner, lease_until) makes one process at a
// time sync an activation, whichever worker or API process asks.
MATCH (s:Segment {segment_id: $segment_id})-[r:ACTIVATED_TO]->(d:Destination {destination_id: $destination_id})
WHERE coalesce(r.lease_until, '') < $now
SET r.lease_until = $until, r.lease_owner = $owner
RETURN r {.mode, .fields, .cursor, .initial,
          consent_cursor: coalesce(r.consent_cursor, r.created_at, $now)} AS activation,
       properties(d) AS destination,
       coalesce(s.seq, 0) AS seq
