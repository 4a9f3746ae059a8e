// name: customer.get_profile
// returns: customer (map of the live Customer's properties), requested_id,
// identifiers: [{key, type, value}], devices: [{device_id, kind, os, first_seen, last_seen}],
// record_count. An id merged into another customer answers with the survivor (redirect).
MATCH (asked:Customer {customer_id: $customer_id})
OPTIONAL MATCH (live:Customer {customer_id: asked.merged_into})
WITH asked, coalesce(live, asked) AS c
RETURN properties(c) AS customer, asked.customer_id AS requested_id,
       COLLECT {
         MATCH (c)<-[:BELONGS_TO]-(:Record)-[:HAS_IDENTIFIER]->(i:Identifier)
         WITH DISTINCT i ORDER BY i.key
         RETURN i {.key, .type, .value}
       } AS identifiers,
       COLLECT {
         MATCH (c)-[:USES_DEVICE]->(d:Device)
         WITH d ORDER BY d.device_id
         RETURN d {.device_id, .kind, .os, .first_seen, .last_seen}
       } AS devices,
       COUNT { (c)<-[:BELONGS_TO]-(:Record) } AS record_count
