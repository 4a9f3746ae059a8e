// name: related.address_neighbours
// returns: pairs (one row: a list of [customer_id, other_customer_id, address key]): for
// each live customer of $ids, the other live customers with a record at one of its addresses.
// An address is the normalised address line and city a record states (its bk_addr_city
// blocking key, indexed); one stated by more than $cap records (a shop, an office block, a
// placeholder) relates no one.
UNWIND $ids AS id
MATCH (c:Customer {customer_id: id})<-[:BELONGS_TO]-(r:Record)
WHERE r.bk_addr_city IS NOT NULL
WITH DISTINCT id, c, r.bk_addr_city AS address
MATCH (s:Record {bk_addr_city: address})
WITH id, c, address, collect(s) AS stating
WHERE size(stating) <= $cap
UNWIND stating AS s
MATCH (s)-[:BELONGS_TO]->(o:Customer)
WHERE o <> c AND o.merged_into IS NULL
WITH DISTINCT id, o, address
RETURN collect([id, o.customer_id, address]) AS pairs
