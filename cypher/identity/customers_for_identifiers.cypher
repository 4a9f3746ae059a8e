// name: identity.customers_for_identifiers
// returns: key, operator_blocked (an operator blocked this value), customers: [{customer_id,
// created_at, holds: [identifier keys], first_names, dobs, golden_stats, trait_state,
// kept_apart}] for
// each identifier key of $keys: the customers it leads to today, each with every identifier
// it holds (so the identity rules can check per-type limits against the whole customer), the
// first names and birth dates its records state (for the agreement check), its survivorship
// statistics and the customers an operator split from it.
UNWIND $keys AS key
MATCH (i:Identifier {key: key})<-[:HAS_IDENTIFIER]-(:Record)-[:BELONGS_TO]->(c:Customer)
WITH DISTINCT key, i, c
CALL (c) {
  MATCH (c)<-[:BELONGS_TO]-(:Record)-[:HAS_IDENTIFIER]->(h:Identifier)
  RETURN collect(DISTINCT h.key) AS holds
}
WITH key, i, c, holds
ORDER BY c.created_at, c.customer_id
RETURN key, coalesce(i.operator_blocked, false) AS operator_blocked,
       collect({customer_id: c.customer_id, created_at: c.created_at, holds: holds,
                first_names: coalesce(c.first_names, []), dobs: coalesce(c.dobs, []),
                golden_stats: c.golden_stats, trait_state: c.trait_state,
                kept_apart: coalesce(c.kept_apart, [])})
       AS customers
