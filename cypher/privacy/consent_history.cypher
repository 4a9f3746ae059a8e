// name: privacy.consent_history
// returns: customer_id, changes (one row per live customer of $customer_ids that has consent
// changes: [{change_id, purpose, status, at, source, expires_at, record_id}] oldest first).
// The latest change of each purpose is the consent in force (privacy.consent.current).
UNWIND $customer_ids AS id
MATCH (c:Customer {customer_id: id})-[:HAS_CONSENT]->(x:ConsentChange)
WITH id, x ORDER BY x.at, x.change_id
RETURN id AS customer_id,
       collect(x {.change_id, .purpose, .status, .at, .source, .expires_at, .record_id}) AS changes
