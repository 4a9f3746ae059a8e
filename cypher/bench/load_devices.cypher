// name: bench.load_devices
// returns: loaded (the number of rows). The API benchmark's devices (bench/api.py): each row
// of $rows [{device_id, customers: [customer ids]}] is a Device that those customers use.
UNWIND $rows AS row
CREATE (d:Device {device_id: row.device_id, kind: 'mobile', os: 'iOS', first_seen: $now,
                  last_seen: $now})
WITH d, row
UNWIND row.customers AS id
MATCH (c:Customer {customer_id: id})
CREATE (c)-[:USES_DEVICE]->(d)
RETURN count(DISTINCT d) AS loaded
