// name: activation.pending_deltas
// returns: deltas (one row: up to $limit maps {seq, kind ('enter' or 'exit'), customer_id, at,
// customer (the live customer's properties, null when gone), allowed (whether the customer's
// consent for $purpose allows sending it now)}, in seq order, the segment $segment_id's
// membership changes after $cursor up to $upto). Consent, as privacy.consent.allows: the
// latest change of the purpose decides unless it expired; with none, NOT $opt_in.
MATCH (m:MembershipChange {segment_id: $segment_id})
WHERE m.seq > $cursor AND m.seq <= $upto
WITH m ORDER BY m.seq LIMIT $limit
OPTIONAL MATCH (c:Customer {customer_id: m.customer_id})
CALL (c) {
  OPTIONAL MATCH (c)-[:HAS_CONSENT]->(x:ConsentChange {purpose: $purpose})
  WITH x ORDER BY x.at DESC, x.change_id DESC LIMIT 1
  RETURN CASE WHEN x IS NULL OR x.expires_at <= $now THEN NOT $opt_in
              ELSE x.status = 'granted' END AS allowed
}
RETURN collect({seq: m.seq, kind: m.kind, customer_id: m.customer_id, at: m.at,
                customer: properties(c), allowed: allowed}) AS deltas
