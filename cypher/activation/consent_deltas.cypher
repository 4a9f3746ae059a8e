// name: activation.consent_deltas
// returns: changes (one row: a list of {customer_id, customer (its properties), allowed,
// recorded_at}, oldest first): the members of segment $segment_id whose consent for $purpose
// changed (ConsentChange recorded in ($since, $upto]), and whether it allows sending them now
// (as activation.pending_deltas decides). A sync sends each as an enter when allowed, an exit
// when not, so a grant reaches the destination and a withdrawal takes the person out.
MATCH (x:ConsentChange {purpose: $purpose})
WHERE x.recorded_at > $since AND x.recorded_at <= $upto
MATCH (c:Customer)-[:HAS_CONSENT]->(x)
WHERE EXISTS { (c)-[:MEMBER_OF]->(:Segment {segment_id: $segment_id}) }
WITH c, max(x.recorded_at) AS recorded_at
ORDER BY recorded_at, c.customer_id
CALL (c) {
  MATCH (c)-[:HAS_CONSENT]->(x:ConsentChange {purpose: $purpose})
  WITH x ORDER BY x.at DESC, x.change_id DESC LIMIT 1
  RETURN CASE WHEN x.expires_at <= $now THEN NOT $opt_in
              ELSE x.status = 'granted' END AS allowed
}
RETURN collect({customer_id: c.customer_id, customer: properties(c), allowed: allowed,
                recorded_at: recorded_at}) AS changes
