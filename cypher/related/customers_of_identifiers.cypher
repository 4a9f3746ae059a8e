// name: related.customers_of_identifiers
// returns: customers (one row: a list of [key, [live customer ids, in id order]]) for each
// identifier key of $keys that exists: the customers whose records hold it.
UNWIND $keys AS key
MATCH (i:Identifier {key: key})
RETURN collect([key, COLLECT {
  MATCH (i)<-[:HAS_IDENTIFIER]-(:Record)-[:BELONGS_TO]->(c:Customer)
  RETURN DISTINCT c.customer_id AS id ORDER BY id
}]) AS customers
