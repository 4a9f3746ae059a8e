// name: identity.customers_for_identifiers
// returns: key, customers: [{customer_id, created_at}] reachable through each identifier key
UNWIND $keys AS key
MATCH (:Identifier {key: key})<-[:HAS_IDENTIFIER]-(:Record)-[:BELONGS_TO]->(c:Customer)
WITH key, c
ORDER BY c.created_at, c.customer_id
RETURN key, collect(DISTINCT {customer_id: c.customer_id, created_at: c.created_at}) AS customers
