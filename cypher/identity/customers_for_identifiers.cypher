// name: identity.customers_for_identifiers
// returns: one row (none when nothing is found): keys: [{key, operator_blocked, customers:
// [customer ids]}] for each identifier key of $keys that leads to customers today, and for
// each id of $customer_ids (the customers of model candidates) under the key
// 'customer:<id>'; and customers: [{customer_id, created_at, first_names, dobs, golden_stats,
// trait_state, kept_apart}], each customer once (what the identity rules and survivorship
// need; what a customer holds comes from identity.holdings_of, where needed).
CALL () {
  UNWIND $keys AS key
  MATCH (i:Identifier {key: key})<-[:HAS_IDENTIFIER]-(:Record)-[:BELONGS_TO]->(c:Customer)
  RETURN key, coalesce(i.operator_blocked, false) AS blocked, c
  UNION
  UNWIND $customer_ids AS id
  MATCH (c:Customer {customer_id: id})
  WHERE c.merged_into IS NULL
  RETURN 'customer:' + id AS key, false AS blocked, c
}
WITH key, blocked, collect(DISTINCT c) AS found
WITH collect({key: key, operator_blocked: blocked,
              customers: [c IN found | c.customer_id]}) AS keys,
     collect(found) AS groups
UNWIND groups AS found
UNWIND found AS c
WITH keys, collect(DISTINCT c) AS customers
RETURN keys,
       [c IN customers | {customer_id: c.customer_id, created_at: c.created_at,
                          first_names: coalesce(c.first_names, []), dobs: coalesce(c.dobs, []),
                          golden_stats: c.golden_stats, trait_state: c.trait_state,
                          kept_apart: coalesce(c.kept_apart, [])}] AS customers
