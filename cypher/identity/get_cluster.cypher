// name: identity.get_cluster
// returns: one row per record of the live customer $customer_id (which the same statement
// write-locks first): record_id, source, timestamp, detached, golden (JSON), identifiers
// (the keys of its active links), and, on every row, events: [{via, n}] (how many of the
// customer's events came through each identifier key). No rows: no such live customer.
MATCH (c:Customer {customer_id: $customer_id})
WHERE c.merged_into IS NULL
SET c.updated_at = $now
WITH c, COLLECT {
       MATCH (c)-[:PERFORMED]->(e:Event)
       WITH e.via AS via, count(*) AS n
       RETURN {via: via, n: n}
     } AS events
MATCH (c)<-[:BELONGS_TO]-(r:Record)
RETURN r.record_id AS record_id, r.source AS source, r.timestamp AS timestamp,
       coalesce(r.detached, false) AS detached, r.golden AS golden,
       [(r)-[:HAS_IDENTIFIER]->(i:Identifier) | i.key] AS identifiers, events
ORDER BY timestamp, record_id
