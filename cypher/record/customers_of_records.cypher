// name: record.customers_of_records
// returns: record_id, customer_id (the live customer each record of $ids belongs to; records
// move with merges, so this is never a redirect).
UNWIND $ids AS id
MATCH (:Record {record_id: id})-[:BELONGS_TO]->(c:Customer)
RETURN id AS record_id, c.customer_id AS customer_id
