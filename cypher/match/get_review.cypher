// name: match.get_review
// returns: status, probability, match_weight, model_version, explanation, and for both
// records their live customer: customer_id, created_at, kept_apart, holds (identifier keys),
// other_customer_id, other_created_at, other_kept_apart, other_holds. Write-locks both
// customers first (in id order). No row: no REVIEW between $record_id and $other_record_id.
MATCH (r:Record {record_id: $record_id})-[m:REVIEW]->(s:Record {record_id: $other_record_id})
MATCH (r)-[:BELONGS_TO]->(c:Customer)
MATCH (s)-[:BELONGS_TO]->(o:Customer)
CALL (c, o) {
  UNWIND [c, o] AS x
  WITH DISTINCT x ORDER BY x.customer_id
  SET x.updated_at = $now
}
RETURN m.status AS status, m.probability AS probability, m.match_weight AS match_weight,
       m.model_version AS model_version, m.explanation AS explanation,
       c.customer_id AS customer_id, c.created_at AS created_at,
       coalesce(c.kept_apart, []) AS kept_apart,
       COLLECT { MATCH (c)<-[:BELONGS_TO]-(:Record)-[:HAS_IDENTIFIER]->(i) RETURN DISTINCT i.key }
         AS holds,
       o.customer_id AS other_customer_id, o.created_at AS other_created_at,
       coalesce(o.kept_apart, []) AS other_kept_apart,
       COLLECT { MATCH (o)<-[:BELONGS_TO]-(:Record)-[:HAS_IDENTIFIER]->(i) RETURN DISTINCT i.key }
         AS other_holds
