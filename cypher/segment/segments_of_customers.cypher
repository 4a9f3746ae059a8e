// name: segment.segments_of_customers
// returns: segments (one row: a list of [customer_id, [{segment_id, name, since}]], the
// segments each customer of $ids is a member of, by name).
UNWIND $ids AS id
MATCH (c:Customer {customer_id: id})
RETURN collect([id, COLLECT {
  MATCH (c)-[m:MEMBER_OF]->(s:Segment) WHERE s.deleted_at IS NULL
  RETURN {segment_id: s.segment_id, name: s.name, since: m.since} AS seg ORDER BY s.name
}]) AS segments
