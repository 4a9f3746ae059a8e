// name: customer.get_history
// returns: change_id, kind (merge|split), at, cause, record_id, identifier, actor, detail,
// kept, absorbed, split_off (customer ids), newest first, at most $first: every identity change
// of the customer $customer_id and of the customers merged into it (its redirects).
MATCH (c:Customer {customer_id: $customer_id})
WITH [c.customer_id] + COLLECT {
       MATCH (o:Customer {merged_into: c.customer_id}) RETURN o.customer_id
     } AS ids
MATCH (x:IdentityChange)-->(k:Customer)
WHERE k.customer_id IN ids
WITH DISTINCT x
ORDER BY x.at DESC, x.change_id
LIMIT $first
RETURN x.change_id AS change_id, x.kind AS kind, x.at AS at, x.cause AS cause,
       x.record_id AS record_id, x.identifier AS identifier, x.actor AS actor,
       x.detail AS detail,
       COLLECT { MATCH (x)-[:KEPT]->(k) RETURN k.customer_id } AS kept,
       COLLECT { MATCH (x)-[:ABSORBED]->(k) RETURN k.customer_id } AS absorbed,
       COLLECT { MATCH (x)-[:SPLIT_OFF]->(k) RETURN k.customer_id } AS split_off
