// name: privacy.erase_scope
// returns: customer_id (the live customer $customer_id is or was merged into), ids (it and
// every id merged into it), identifiers [{key, shared}] (those its records hold or held;
// shared: a record of someone else holds it too), devices [{device_id, shared}] (shared:
// another customer uses it too), destinations [destination_id] (of the activations of the
// segments it entered: who may have received it). No row when the id is unknown.
// The customer is write-locked first, so nothing attaches to it while the erasure runs.
MATCH (asked:Customer {customer_id: $customer_id})
OPTIONAL MATCH (live:Customer {customer_id: asked.merged_into})
WITH coalesce(live, asked) AS c
SET c._lock = true
REMOVE c._lock
WITH c
OPTIONAL MATCH (old:Customer)-[:MERGED_INTO*1..]->(c)
WITH c, [c] + collect(DISTINCT old) AS people
WITH c, people, [p IN people | p.customer_id] AS ids
RETURN c.customer_id AS customer_id, ids,
       COLLECT {
         MATCH (c)<-[:BELONGS_TO]-(:Record)-[:HAS_IDENTIFIER|HAD_IDENTIFIER]->(i:Identifier)
         WITH DISTINCT i
         RETURN {key: i.key, shared: EXISTS {
           MATCH (i)<-[:HAS_IDENTIFIER|HAD_IDENTIFIER]-(r:Record)
           WHERE NOT EXISTS { (r)-[:BELONGS_TO]->(c) }
         }}
       } AS identifiers,
       COLLECT {
         MATCH (c)-[:USES_DEVICE]->(d:Device)
         RETURN {device_id: d.device_id, shared: EXISTS {
           MATCH (d)<-[:USES_DEVICE]-(o:Customer) WHERE o <> c
         }}
       } AS devices,
       COLLECT {
         MATCH (m:MembershipChange)
         WHERE m.customer_id IN ids AND m.kind = 'enter'
         WITH DISTINCT m.segment_id AS segment_id
         MATCH (:Segment {segment_id: segment_id})-[:ACTIVATED_TO]->(d:Destination)
         RETURN DISTINCT d.destination_id
       } AS destinations
