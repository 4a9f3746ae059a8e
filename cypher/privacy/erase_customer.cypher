// name: privacy.erase_customer
// returns: counts (one row: a map of what was deleted, by kind). Deletes the customer
// $customer_id and the ids merged into it ($ids, from privacy.erase_scope) with everything
// that is theirs alone: events, records (and with them their identifier links, model links
// and review candidates), the identifiers $identifiers and devices $devices that no one else
// holds, consent changes, memberships and their history, merges and splits (IdentityChange),
// conflicts involving them, and groups with no other member. Shared identifiers and devices
// stay; only the person's links to them go. One Suppression {hash} per hash of $hashes
// remembers the deleted identifiers without their values.
MATCH (c:Customer {customer_id: $customer_id})
WITH c, COLLECT { MATCH (p:Customer) WHERE p.customer_id IN $ids RETURN p } AS people
CALL (people) {
  UNWIND people AS p
  MATCH (p)-[:PERFORMED]->(e:Event)
  DETACH DELETE e
  RETURN count(*) AS events
}
CALL (c) {
  MATCH (r:Record)-[:BELONGS_TO]->(c)
  DETACH DELETE r
  RETURN count(*) AS records
}
CALL (people) {
  UNWIND people AS p
  MATCH (p)-[:HAS_CONSENT]->(x:ConsentChange)
  DETACH DELETE x
  RETURN count(*) AS consent_changes
}
CALL () {
  MATCH (m:MembershipChange)
  WHERE m.customer_id IN $ids
  DELETE m
  RETURN count(*) AS membership_changes
}
CALL (people) {
  UNWIND people AS p
  MATCH (x:IdentityChange)-[:KEPT|ABSORBED|SPLIT_OFF]->(p)
  WITH DISTINCT x
  DETACH DELETE x
  RETURN count(*) AS identity_changes
}
CALL (people) {
  UNWIND people AS p
  MATCH (k:Conflict)-[:INVOLVES]->(p)
  WITH DISTINCT k
  DETACH DELETE k
  RETURN count(*) AS conflicts
}
CALL (people) {
  UNWIND people AS p
  MATCH (p)-[:IN_GROUP]->(g:Group)
  WITH DISTINCT g, people
  WHERE NOT EXISTS { MATCH (o:Customer)-[:IN_GROUP]->(g) WHERE NOT o IN people }
  DETACH DELETE g
  RETURN count(*) AS groups
}
CALL () {
  UNWIND $identifiers AS key
  MATCH (i:Identifier {key: key})
  OPTIONAL MATCH (k:Conflict)-[:ABOUT]->(i)
  DETACH DELETE k, i
  RETURN count(DISTINCT key) AS identifiers
}
CALL () {
  UNWIND $devices AS device_id
  MATCH (d:Device {device_id: device_id})
  DETACH DELETE d
  RETURN count(*) AS devices
}
CALL (people) {
  UNWIND people AS p
  OPTIONAL MATCH (p)-[m:MEMBER_OF]->(:Segment)
  WITH p, count(m) AS member_of
  DETACH DELETE p
  RETURN sum(member_of) AS memberships, count(*) AS customers
}
CALL () {
  UNWIND $hashes AS h
  MERGE (s:Suppression {hash: h})
    ON CREATE SET s.at = $now, s.erasure_id = $erasure_id, s.dropped = 0
  RETURN count(*) AS suppressed
}
RETURN {events: events, records: records, consent_changes: consent_changes,
        membership_changes: membership_changes, identity_changes: identity_changes,
        conflicts: conflicts, groups: groups, identifiers: identifiers, devices: devices,
        memberships: memberships, customers: customers, suppressed: suppressed} AS counts
