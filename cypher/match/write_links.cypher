// name: match.write_links
// returns: nothing. $links [{from, to, kind, probability, match_weight, model_version,
// explanation}]: the model's verdict on a record pair, as (Record)-[:MATCHES]->(Record) when
// kind is 'link' (the records were joined, or kept apart by the identity rules) and
// (Record)-[:REVIEW]->(Record) when it is 'review' (for a person to accept or reject).
UNWIND $links AS l
MATCH (r:Record {record_id: l.from})
MATCH (s:Record {record_id: l.to})
CALL (r, s, l) {
  WITH r, s, l
  WHERE l.kind = 'link'
  MERGE (r)-[m:MATCHES]->(s)
  SET m.probability = l.probability, m.match_weight = l.match_weight,
      m.model_version = l.model_version, m.explanation = l.explanation, m.at = $now
}
CALL (r, s, l) {
  WITH r, s, l
  WHERE l.kind = 'review'
  MERGE (r)-[m:REVIEW]->(s)
  SET m.probability = l.probability, m.match_weight = l.match_weight,
      m.model_version = l.model_version, m.explanation = l.explanation, m.at = $now,
      m.status = coalesce(m.status, 'open')
}
