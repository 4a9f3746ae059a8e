// name: related.customers_of_devices
// returns: customers (one row: a list of [device_id, [live customer ids, in id order]]) for
// each device id of $ids that exists.
UNWIND $ids AS id
MATCH (d:Device {device_id: id})
RETURN collect([id, COLLECT {
  MATCH (d)<-[:USES_DEVICE]-(c:Customer) WHERE c.merged_into IS NULL
  RETURN c.customer_id ORDER BY c.customer_id
}]) AS customers
