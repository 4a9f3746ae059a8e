// name: activation.activate_segment
// returns: activation (one row, none when the segment or destination is missing): the
// ACTIVATED_TO relationship's properties. The segment $segment_id is sent to the destination
// $destination_id: $mode ('realtime' or 'scheduled', every $schedule_seconds), the $fields of
// each customer. A new activation starts at the segment's current change (cursor = its seq):
// the audience so far goes in the first sync as 'enter' deltas (initial = true), then only
// changes; consent changes count from now (consent_cursor, a ConsentChange recorded_at).
MATCH (s:Segment {segment_id: $segment_id}) WHERE s.deleted_at IS NULL
MATCH (d:Destination {destination_id: $destination_id})
MERGE (s)-[r:ACTIVATED_TO]->(d)
  ON CREATE SET r.created_at = $now, r.cursor = coalesce(s.seq, 0), r.initial = true,
                r.consent_cursor = $now,
                r.delivered = 0, r.failed = 0
SET r.mode = $mode, r.fields = $fields, r.schedule_seconds = $schedule_seconds,
    r.status = 'active', r.updated_at = $now
RETURN r {.*, segment_id: s.segment_id, destination_id: d.destination_id} AS activation
