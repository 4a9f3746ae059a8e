// name: customer.list_groups
// returns: groups (one row: a list of [customer_id, [group maps]] for the customer ids of
// $ids that exist; a group map is the Group's properties: group_id, its traits (households
// are groups whose type trait is 'household'), created_at, updated_at).
UNWIND $ids AS id
MATCH (c:Customer {customer_id: id})
RETURN collect([id, COLLECT {
  MATCH (c)-[:IN_GROUP]->(g:Group)
  WITH g ORDER BY g.group_id
  RETURN properties(g)
}]) AS groups
