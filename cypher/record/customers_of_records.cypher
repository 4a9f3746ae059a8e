// name: record.customers_of_records
// returns: owners (one row: a list of [record_id, customer_id], the live customer each record
// of $ids belongs to; records move with merges, so this is never a redirect).
UNWIND $ids AS id
MATCH (:Record {record_id: id})-[:BELONGS_TO]->(c:Customer)
RETURN collect([id, c.customer_id]) AS owners
