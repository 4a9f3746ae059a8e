// name: match.decide_review
// returns: nothing. A person's decision on the REVIEW from $record_id to $other_record_id:
// its status becomes $status ('accepted' or 'rejected') with $actor, $reason and the time;
// accepted, the pair becomes a MATCHES link decided by that person; rejected, a NOT_MATCH
// link, and the two customers are kept apart ($apart: the customer ids, none when they are
// one customer already), so no later link, model or rule, joins them.
MATCH (r:Record {record_id: $record_id})-[m:REVIEW]->(s:Record {record_id: $other_record_id})
SET m.status = $status, m.decided_by = $actor, m.decided_at = $now, m.reason = $reason
WITH r, m, s
CALL (r, m, s) {
  WITH r, m, s
  WHERE $status = 'accepted'
  MERGE (r)-[k:MATCHES]->(s)
  SET k.probability = m.probability, k.match_weight = m.match_weight,
      k.model_version = m.model_version, k.explanation = m.explanation, k.at = $now,
      k.decided_by = $actor
}
CALL (r, s) {
  WITH r, s
  WHERE $status = 'rejected'
  MERGE (r)-[n:NOT_MATCH]->(s)
  SET n.at = $now, n.actor = $actor, n.reason = $reason
}
CALL () {
  UNWIND $apart AS pair
  MATCH (a:Customer {customer_id: pair[0]})
  SET a.kept_apart = coalesce(a.kept_apart, [])
                     + [x IN [pair[1]] WHERE NOT x IN coalesce(a.kept_apart, [])]
}
