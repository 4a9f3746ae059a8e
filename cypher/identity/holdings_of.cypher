// name: identity.holdings_of
// returns: customer_id, holds (every identifier key the customer's records hold), one row per
// customer of $ids: for checking per-type limits against the whole customer.
UNWIND $ids AS id
MATCH (:Customer {customer_id: id})<-[:BELONGS_TO]-(:Record)-[:HAS_IDENTIFIER]->(i:Identifier)
RETURN id AS customer_id, collect(DISTINCT i.key) AS holds
