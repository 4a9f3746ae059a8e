// name: activation.initial_audience
// returns: members (one row: up to $limit maps {customer_id, customer (its properties),
// allowed (its consent for $purpose allows sending it now; see activation.pending_deltas)}
// of the segment $segment_id's members now, in id order after $after): a new activation's
// first sync.
MATCH (c:Customer)-[:MEMBER_OF]->(:Segment {segment_id: $segment_id})
WHERE c.customer_id > $after
WITH c ORDER BY c.customer_id LIMIT $limit
CALL (c) {
  OPTIONAL MATCH (c)-[:HAS_CONSENT]->(x:ConsentChange {purpose: $purpose})
  WITH x ORDER BY x.at DESC, x.change_id DESC LIMIT 1
  RETURN CASE WHEN x IS NULL OR x.expires_at <= $now THEN NOT $opt_in
              ELSE x.status = 'granted' END AS allowed
}
RETURN collect({customer_id: c.customer_id, customer: properties(c), allowed: allowed})
       AS members
