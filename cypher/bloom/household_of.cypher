// name: bloom.household_of
// phrase: household of $customer
// param: $customer String Customer customer_id
// returns: p (paths): customer -IN_GROUP-> household <-IN_GROUP- other live customer, for the
// customer of that id (a merged id is followed to its survivor) or display name; households
// are groups whose type trait is 'household'. A Bloom search phrase (graph/bloom.py).
MATCH (c0:Customer)
WHERE c0.customer_id = $customer OR c0.display_name = $customer
OPTIONAL MATCH (live:Customer {customer_id: c0.merged_into})
WITH DISTINCT coalesce(live, c0) AS c
MATCH p = (c)-[:IN_GROUP]->(g:Group)<-[:IN_GROUP]-(o:Customer)
WHERE toLower(toString(g.type)) = 'household' AND o <> c AND o.merged_into IS NULL
RETURN p
