// name: segment.write_membership
// returns: entered, exited (one row: the customer ids whose membership really changed). Of
// $entered, those not yet members become members (MEMBER_OF {since}); of $exited, members
// stop being members; each change is recorded as a MembershipChange {segment_id,
// customer_id, kind: 'enter'|'exit', at, version, seq}. Idempotent: a repeat changes nothing.
// seq numbers a segment's changes 1, 2, 3 ... in commit order: the segment is write-locked
// first (SET s.seq), so a later transaction numbers after an earlier one has committed; an
// activation's cursor is the last seq it delivered.
MATCH (s:Segment {segment_id: $segment_id})
WHERE s.deleted_at IS NULL
SET s.seq = coalesce(s.seq, 0)
WITH s
CALL (s) {
  UNWIND $entered AS id
  MATCH (c:Customer {customer_id: id})
  WHERE NOT EXISTS { (c)-[:MEMBER_OF]->(s) }
  CREATE (c)-[:MEMBER_OF {since: $now, version: s.version}]->(s)
  RETURN collect(id) AS entered
}
CALL (s) {
  UNWIND $exited AS id
  MATCH (c:Customer {customer_id: id})-[m:MEMBER_OF]->(s)
  DELETE m
  RETURN collect(id) AS exited
}
WITH s, entered, exited, [x IN entered | ['enter', x]] + [x IN exited | ['exit', x]] AS changes,
     s.seq AS base
CALL (s, changes, base) {
  UNWIND range(0, size(changes) - 1) AS i
  CREATE (:MembershipChange {segment_id: s.segment_id, customer_id: changes[i][1],
                             kind: changes[i][0], at: $now, version: s.version,
                             seq: base + i + 1})
}
SET s.seq = base + size(changes)
RETURN entered, exited
