// name: customer.find_by_identifier
// returns: customer_id (the live customer the identifier key leads to, redirects followed)
MATCH (:Identifier {key: $key})<-[:HAS_IDENTIFIER]-(:Record)-[:BELONGS_TO]->(c:Customer)
RETURN coalesce(c.merged_into, c.customer_id) AS customer_id
LIMIT 1
