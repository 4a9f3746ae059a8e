// name: segment.list_members
// returns: ids (one row: up to $limit member customer ids of the segment $segment_id, in id
// order after $after) and total (how many members it has).
MATCH (s:Segment {segment_id: $segment_id})
RETURN COLLECT {
  MATCH (c:Customer)-[:MEMBER_OF]->(s) WHERE c.customer_id > $after
  RETURN c.customer_id AS id ORDER BY id LIMIT $limit
} AS ids, COUNT { (:Customer)-[:MEMBER_OF]->(s) } AS total
