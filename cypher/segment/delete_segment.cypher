// name: segment.delete_segment
// returns: exited (one row: the ids of the customers who were members). The segment is
// marked deleted (its versions and history stay); every membership ends, each recorded as
// an 'exit' MembershipChange.
MATCH (s:Segment {segment_id: $segment_id})
WHERE s.deleted_at IS NULL
SET s.deleted_at = $now, s.updated_at = $now
WITH s
OPTIONAL MATCH (c:Customer)-[m:MEMBER_OF]->(s)
WITH s, collect(c.customer_id) AS exited, collect(m) AS ms
FOREACH (m IN ms | DELETE m)
FOREACH (id IN exited |
  CREATE (:MembershipChange {segment_id: s.segment_id, customer_id: id, kind: 'exit', at: $now,
                             version: s.version}))
RETURN exited
