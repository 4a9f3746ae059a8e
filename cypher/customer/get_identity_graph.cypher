// name: customer.get_identity_graph
// returns: one row per record of the customer $customer_id: record_id, source, kind,
// timestamp, identifiers: [{key, type, value, blocked, over_degree, customers}] where
// customers is how many live customers the identifier leads to (for the explanation of
// each link), matches: [{to, probability, match_weight, model_version, explanation}] (the
// model links from the record), oldest record first.
MATCH (c:Customer {customer_id: $customer_id})<-[:BELONGS_TO]-(r:Record)
WITH r ORDER BY r.timestamp, r.record_id
RETURN r.record_id AS record_id, r.source AS source, r.kind AS kind, r.timestamp AS timestamp,
       COLLECT {
         MATCH (r)-[:HAS_IDENTIFIER]->(i:Identifier)
         WITH i ORDER BY i.key
         RETURN i {.key, .type, .value,
                   blocked: coalesce(i.blocked, false),
                   over_degree: coalesce(i.over_degree, false),
                   customers: COUNT {
                     MATCH (i)<-[:HAS_IDENTIFIER]-(:Record)-[:BELONGS_TO]->(o:Customer)
                     RETURN DISTINCT o
                   }}
       } AS identifiers,
       COLLECT {
         MATCH (r)-[m:MATCHES]->(s:Record)
         RETURN {to: s.record_id, probability: m.probability, match_weight: m.match_weight,
                 model_version: m.model_version, explanation: m.explanation}
       } AS matches
