// name: related.device_neighbours
// returns: pairs (one row: a list of [customer_id, other_customer_id, device_id]): for each
// live customer of $ids, the other live customers using one of its devices. A device used by
// more than $cap customers (a kiosk, a shop's tablet) relates no one.
UNWIND $ids AS id
MATCH (c:Customer {customer_id: id})-[:USES_DEVICE]->(d:Device)
WHERE COUNT { (d)<-[:USES_DEVICE]-(:Customer) } <= $cap
MATCH (d)<-[:USES_DEVICE]-(o:Customer)
WHERE o <> c AND o.merged_into IS NULL
RETURN collect([id, o.customer_id, d.device_id]) AS pairs
