// name: identity.write_records
// returns: record_id, customer_id (one row per record written). Each record keeps what it
// states about the person (golden: JSON of its golden attributes; first_names, dobs folded),
// for survivorship, explanations and splits; identity.write_golden sets the winners. Its
// blocking keys (bk_email, bk_phone, bk_last_dob, bk_names, bk_post_last, bk_first_dob,
// bk_post_dob, bk_addr_city, bk_first_post, bk_dob_city, bk_addr_dob: matching.features)
// let the probabilistic model find it as a candidate (match.candidates).
// The customer also keeps every folded first name and birth date its records state
// (first_names, dobs) for the agreement check of later links.
UNWIND $rows AS row
MERGE (c:Customer {customer_id: row.customer_id})
  ON CREATE SET c.created_at = $now
SET c.updated_at = $now,
    c.first_names = coalesce(c.first_names, [])
                    + [n IN row.first_names WHERE NOT n IN coalesce(c.first_names, [])],
    c.dobs = coalesce(c.dobs, []) + [d IN row.dobs WHERE NOT d IN coalesce(c.dobs, [])]
WITH c, row
MERGE (r:Record {record_id: row.record_id})
  ON CREATE SET r.source = row.source, r.kind = row.kind, r.received_at = row.received_at,
                r.timestamp = row.timestamp, r.attributes = row.attributes,
                r.golden = row.golden_json, r.first_names = row.first_names, r.dobs = row.dobs,
                r += row.blocking
MERGE (r)-[:BELONGS_TO]->(c)
WITH c, r, row
CALL (r, row) {
  UNWIND row.identifier_keys AS key
  MATCH (i:Identifier {key: key})
  MERGE (r)-[:HAS_IDENTIFIER]->(i)
}
CALL (c, r, row) {
  UNWIND row.devices AS dev
  MERGE (d:Device {device_id: dev.device_id})
    ON CREATE SET d.kind = dev.kind, d.os = dev.os, d.user_agent = dev.user_agent,
                  d.browser = dev.browser,
                  d.first_seen = row.timestamp
  SET d.last_seen = CASE WHEN coalesce(d.last_seen, '') < row.timestamp
                         THEN row.timestamp ELSE d.last_seen END
  MERGE (c)-[:USES_DEVICE]->(d)
  MERGE (r)-[:SEEN_ON]->(d)
}
RETURN r.record_id AS record_id, c.customer_id AS customer_id
