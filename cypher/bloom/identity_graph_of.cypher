// name: bloom.identity_graph_of
// phrase: identity graph of $customer
// param: $customer String Customer customer_id
// returns: p (paths): the customer of that id (a merged id is followed to its survivor) or
// display name, its records and what they hold (identifiers, devices), the model links of
// its records (MATCHES, REVIEW) and the customers merged into it. A Bloom search phrase.
MATCH (c0:Customer)
WHERE c0.customer_id = $customer OR c0.display_name = $customer
OPTIONAL MATCH (live:Customer {customer_id: c0.merged_into})
WITH DISTINCT coalesce(live, c0) AS c
CALL (c) {
  MATCH p = (c)<-[:BELONGS_TO]-(:Record)
  RETURN p
  UNION
  MATCH p = (c)<-[:BELONGS_TO]-(:Record)-[:HAS_IDENTIFIER|SEEN_ON]->()
  RETURN p
  UNION
  MATCH p = (c)<-[:BELONGS_TO]-(:Record)-[:MATCHES|REVIEW]-(:Record)
  RETURN p
  UNION
  MATCH p = (c)<-[:MERGED_INTO]-(:Customer)
  RETURN p
}
RETURN p
