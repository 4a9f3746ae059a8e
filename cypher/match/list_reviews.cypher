// name: match.list_reviews
// returns: record_id, other_record_id, probability, match_weight, model_version,
// explanation, status, at, customer_id, other_customer_id: REVIEW pairs with $status (open,
// accepted or rejected), newest first, at most $first.
MATCH (r:Record)-[m:REVIEW]->(s:Record)
WHERE m.status = $status
WITH r, m, s
ORDER BY m.at DESC, r.record_id, s.record_id
LIMIT $first
MATCH (r)-[:BELONGS_TO]->(c:Customer)
MATCH (s)-[:BELONGS_TO]->(o:Customer)
RETURN r.record_id AS record_id, s.record_id AS other_record_id, m.probability AS probability,
       m.match_weight AS match_weight, m.model_version AS model_version,
       m.explanation AS explanation, m.status AS status, m.at AS at,
       c.customer_id AS customer_id, o.customer_id AS other_customer_id
