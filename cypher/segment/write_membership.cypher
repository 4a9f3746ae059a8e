// name: segment.write_membership
// returns: entered, exited (one row: the customer ids whose membership really changed). Of
// $entered, those not yet members become members (MEMBER_OF {since}); of $exited, members
// stop being members; each change is recorded as a MembershipChange {segment_id,
// customer_id, kind: 'enter'|'exit', at, version}. Idempotent: a repeat changes nothing.
MATCH (s:Segment {segment_id: $segment_id})
WHERE s.deleted_at IS NULL
CALL (s) {
  UNWIND $entered AS id
  MATCH (c:Customer {customer_id: id})
  WHERE NOT EXISTS { (c)-[:MEMBER_OF]->(s) }
  CREATE (c)-[:MEMBER_OF {since: $now, version: s.version}]->(s)
  CREATE (:MembershipChange {segment_id: s.segment_id, customer_id: id, kind: 'enter',
                             at: $now, version: s.version})
  RETURN collect(id) AS entered
}
CALL (s) {
  UNWIND $exited AS id
  MATCH (c:Customer {customer_id: id})-[m:MEMBER_OF]->(s)
  DELETE m
  CREATE (:MembershipChange {segment_id: s.segment_id, customer_id: id, kind: 'exit',
                             at: $now, version: s.version})
  RETURN collect(id) AS exited
}
RETURN entered, exited
