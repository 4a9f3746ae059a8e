// name: segment.current_members
// returns: members (one row: the ids of every customer who is a member of $segment_id now,
// merged-away customers included so that a full evaluation ends their membership).
MATCH (s:Segment {segment_id: $segment_id})
RETURN COLLECT { MATCH (c:Customer)-[:MEMBER_OF]->(s) RETURN c.customer_id } AS members
