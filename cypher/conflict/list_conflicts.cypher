// name: conflict.list_conflicts
// returns: conflict_id, at, reason, record_id, identifier, customers (live ids, redirects
// followed), newest first; only those involving $customer_id when it is not null.
MATCH (k:Conflict)
WHERE k.at >= $since
  AND ($customer_id IS NULL OR EXISTS { (k)-[:INVOLVES]->(:Customer {customer_id: $customer_id}) })
WITH k
ORDER BY k.at DESC, k.conflict_id
LIMIT $first
RETURN k.conflict_id AS conflict_id, k.at AS at, k.reason AS reason, k.record_id AS record_id,
       k.identifier AS identifier,
       COLLECT {
         MATCH (k)-[:INVOLVES]->(c:Customer)
         RETURN DISTINCT coalesce(c.merged_into, c.customer_id)
       } AS customers
