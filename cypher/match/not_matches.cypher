// name: match.not_matches
// returns: record_id, other_record_id: every pair a person rejected (NOT_MATCH), so batch
// linking never writes a model link over a person's decision.
MATCH (r:Record)-[:NOT_MATCH]->(s:Record)
RETURN r.record_id AS record_id, s.record_id AS other_record_id
