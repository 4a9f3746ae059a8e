// name: activation.initial_audience
// returns: members (one row: up to $limit maps {customer_id, customer (its properties)} of the
// segment $segment_id's members now, in id order after $after): a new activation's first sync.
MATCH (c:Customer)-[:MEMBER_OF]->(:Segment {segment_id: $segment_id})
WHERE c.customer_id > $after
WITH c ORDER BY c.customer_id LIMIT $limit
RETURN collect({customer_id: c.customer_id, customer: properties(c)}) AS members
