// name: segment.delete_segment
// returns: exited (one row: the ids of the customers who were members). The segment is
// marked deleted (its versions and history stay); every membership ends, each recorded as
// an 'exit' MembershipChange numbered after the segment's last (seq).
MATCH (s:Segment {segment_id: $segment_id})
WHERE s.deleted_at IS NULL
SET s.deleted_at = $now, s.updated_at = $now, s.seq = coalesce(s.seq, 0)
WITH s
OPTIONAL MATCH (c:Customer)-[m:MEMBER_OF]->(s)
WITH s, collect(c.customer_id) AS exited, collect(m) AS ms
FOREACH (m IN ms | DELETE m)
WITH s, exited, s.seq AS base
CALL (s, exited, base) {
  UNWIND range(0, size(exited) - 1) AS i
  CREATE (:MembershipChange {segment_id: s.segment_id, customer_id: exited[i], kind: 'exit',
                             at: $now, version: s.version, seq: base + i + 1})
}
SET s.seq = base + size(exited)
RETURN exited
