// name: customer.get_profile_by_identifier
// returns: the profile (as customer.get_profile) of the live customer an identifier key
// leads to (redirects followed; requested_id is that live id), in one round trip; no row
// when no record holds the identifier.
MATCH (:Identifier {key: $key})<-[:HAS_IDENTIFIER]-(:Record)-[:BELONGS_TO]->(owner:Customer)
WITH owner LIMIT 1
OPTIONAL MATCH (live:Customer {customer_id: owner.merged_into})
WITH coalesce(live, owner) AS c
RETURN properties(c) AS customer, c.customer_id AS requested_id,
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
