// name: privacy.set_consent
// returns: customer_id (one row: the live customer that now holds the change; no row when
// $customer_id is unknown). An id merged into another sets the survivor's consent.
MATCH (asked:Customer {customer_id: $customer_id})
OPTIONAL MATCH (live:Customer {customer_id: asked.merged_into})
WITH coalesce(live, asked) AS c
MERGE (x:ConsentChange {change_id: $change_id})
  ON CREATE SET x.purpose = $purpose, x.status = $status, x.at = $at, x.source = $source,
                x.expires_at = $expires_at, x.record_id = null, x.recorded_at = $now
MERGE (c)-[:HAS_CONSENT]->(x)
SET c.updated_at = $now
RETURN c.customer_id AS customer_id
