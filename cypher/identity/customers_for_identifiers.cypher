// name: identity.customers_for_identifiers
// returns: key, customers: [{customer_id, created_at, holds: [identifier keys], first_names,
// dobs}] for each identifier key of $keys: the customers it leads to today, each with every
// identifier it holds (so the identity rules can check per-type limits against the whole
// customer) and the first names and birth dates its records state (for the agreement check).
UNWIND $keys AS key
MATCH (:Identifier {key: key})<-[:HAS_IDENTIFIER]-(:Record)-[:BELONGS_TO]->(c:Customer)
WITH DISTINCT key, c
CALL (c) {
  MATCH (c)<-[:BELONGS_TO]-(:Record)-[:HAS_IDENTIFIER]->(i:Identifier)
  RETURN collect(DISTINCT i.key) AS holds
}
WITH key, c, holds
ORDER BY c.created_at, c.customer_id
RETURN key, collect({customer_id: c.customer_id, created_at: c.created_at, holds: holds,
                     first_names: coalesce(c.first_names, []), dobs: coalesce(c.dobs, [])})
            AS customers
