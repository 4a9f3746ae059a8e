// name: customer.get_profiles
// returns: profiles (one row: a list with one map per id of $ids that exists: customer (the
// live Customer's properties), requested_id, identifiers [{key, type, value}], devices
// [{device_id, kind, os, first_seen, last_seen}], record_count). customer.get_profile for
// many ids in one round trip (the profile DataLoader); merged ids answer with the survivor.
UNWIND $ids AS id
MATCH (asked:Customer {customer_id: id})
OPTIONAL MATCH (live:Customer {customer_id: asked.merged_into})
WITH asked, coalesce(live, asked) AS c
RETURN collect({
  customer: properties(c), requested_id: asked.customer_id,
  identifiers: COLLECT {
    MATCH (c)<-[:BELONGS_TO]-(:Record)-[:HAS_IDENTIFIER]->(i:Identifier)
    WITH DISTINCT i ORDER BY i.key
    RETURN i {.key, .type, .value}
  },
  devices: COLLECT {
    MATCH (c)-[:USES_DEVICE]->(d:Device)
    WITH d ORDER BY d.device_id
    RETURN d {.device_id, .kind, .os, .first_seen, .last_seen}
  },
  record_count: COUNT { (c)<-[:BELONGS_TO]-(:Record) }
}) AS profiles
