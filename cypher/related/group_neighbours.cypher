// name: related.group_neighbours
// returns: pairs (one row: a list of [customer_id, other_customer_id, group_id]): for each
// live customer of $ids, the other live customers in one of its groups; with $household true
// only households (groups whose type trait is 'household'). A group of more than $cap
// members relates no one (a company of thousands is not a relationship to explore).
UNWIND $ids AS id
MATCH (c:Customer {customer_id: id})-[:IN_GROUP]->(g:Group)
WHERE (NOT $household OR toLower(toString(g.type)) = 'household')
  AND COUNT { (g)<-[:IN_GROUP]-(:Customer) } <= $cap
MATCH (g)<-[:IN_GROUP]-(o:Customer)
WHERE o <> c AND o.merged_into IS NULL
RETURN collect([id, o.customer_id, g.group_id]) AS pairs
