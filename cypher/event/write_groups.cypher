// name: event.write_groups
// returns: nothing. Group calls: upsert the Group with its traits, IN_GROUP from the customer.
UNWIND $groups AS g
MERGE (grp:Group {group_id: g.group_id})
  ON CREATE SET grp.created_at = $now
SET grp += g.traits, grp.updated_at = $now
WITH grp, g
MATCH (c:Customer {customer_id: g.customer_id})
MERGE (c)-[:IN_GROUP]->(grp)
