// name: privacy.write_consents
// returns: nothing. $consents: one row per consent change {change_id, customer_id, purpose,
// status, at, source, expires_at, record_id}: a ConsentChange the customer HAS_CONSENT, kept
// as history (the latest per purpose is the consent in force). MERGE on change_id makes a
// replay (or a repeated setConsent with the same id) write nothing new.
UNWIND $consents AS row
MATCH (c:Customer {customer_id: row.customer_id})
MERGE (x:ConsentChange {change_id: row.change_id})
  ON CREATE SET x.purpose = row.purpose, x.status = row.status, x.at = row.at,
                x.source = row.source, x.expires_at = row.expires_at,
                x.record_id = row.record_id, x.recorded_at = $now
MERGE (c)-[:HAS_CONSENT]->(x)
SET c.updated_at = $now
