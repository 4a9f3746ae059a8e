// name: bench.load_records
// returns: loaded (the number of rows). The scale benchmark's loader (bench/link_scale.py):
// each row of $rows [{record_id, source, customer_id, golden_json, first_names, dobs, blocking,
// identifiers: [{key, type, value}]}] becomes a Record of its own Customer with its
// identifiers, as the worker would write a record no rule joins to another; no resolution.
UNWIND $rows AS row
CREATE (c:Customer {customer_id: row.customer_id, created_at: $now, updated_at: $now,
                    first_names: row.first_names, dobs: row.dobs})
CREATE (r:Record {record_id: row.record_id, source: row.source, kind: 'record',
                  received_at: $now, timestamp: $now, golden: row.golden_json,
                  first_names: row.first_names, dobs: row.dobs})
SET r += row.blocking
CREATE (r)-[:BELONGS_TO]->(c)
WITH r, row
CALL (r, row) {
  UNWIND row.identifiers AS i
  MERGE (n:Identifier {key: i.key})
    ON CREATE SET n.type = i.type, n.value = i.value, n.created_at = $now
  CREATE (r)-[:HAS_IDENTIFIER]->(n)
}
RETURN count(*) AS loaded
