// name: identity.split_customer
// returns: nothing. Applies an operator's correction of the customer $customer_id (see
// matching.split): $removed_links [{record_id, identifier}] become HAD_IDENTIFIER (kept for
// provenance, no longer followed), $detached records and $blocked identifier values are
// marked, each of $parts [{customer_id, new, record_ids, apart, first_names, dobs}] gets its
// records (new parts are created, split_from the old id), $event_moves [{via, customer_id}]
// move the events that came through a part's identifiers, devices follow records and events,
// and the split is recorded as an IdentityChange that KEPT the old id and SPLIT_OFF the rest.
MATCH (old:Customer {customer_id: $customer_id})
CALL () {
  UNWIND $removed_links AS l
  MATCH (r:Record {record_id: l.record_id})-[h:HAS_IDENTIFIER]->(i:Identifier {key: l.identifier})
  CREATE (r)-[:HAD_IDENTIFIER {removed_at: $now, actor: $actor}]->(i)
  DELETE h
}
CALL () {
  UNWIND $detached AS rid
  MATCH (r:Record {record_id: rid})
  SET r.detached = true, r.detached_at = $now
}
CALL () {
  UNWIND $blocked AS key
  MATCH (i:Identifier {key: key})
  SET i.blocked = true, i.operator_blocked = true, i.blocked_at = $now
}
CALL (old) {
  UNWIND $parts AS p
  MERGE (c:Customer {customer_id: p.customer_id})
    ON CREATE SET c.created_at = $now, c.split_from = old.customer_id
  SET c.updated_at = $now, c.first_names = p.first_names, c.dobs = p.dobs,
      c.kept_apart = coalesce(c.kept_apart, [])
                     + [x IN p.apart WHERE NOT x IN coalesce(c.kept_apart, [])]
  WITH c, p
  UNWIND p.record_ids AS rid
  MATCH (r:Record {record_id: rid})-[b:BELONGS_TO]->(prev:Customer)
  WHERE prev <> c
  CREATE (r)-[:BELONGS_TO]->(c)
  DELETE b
}
CALL (old) {
  UNWIND $event_moves AS m
  MATCH (c:Customer {customer_id: m.customer_id})
  MATCH (old)-[p:PERFORMED]->(e:Event {via: m.via})
  CREATE (c)-[:PERFORMED]->(e)
  DELETE p
}
CALL () {
  UNWIND $parts AS p
  MATCH (c:Customer {customer_id: p.customer_id})
  OPTIONAL MATCH (c)-[u:USES_DEVICE]->(:Device)
  DELETE u
}
CALL () {
  UNWIND $parts AS p
  MATCH (c:Customer {customer_id: p.customer_id})
  CALL (c) {
    MATCH (c)<-[:BELONGS_TO]-(:Record)-[:SEEN_ON]->(d:Device)
    RETURN d
    UNION
    MATCH (c)-[:PERFORMED]->(:Event)-[:ON_DEVICE]->(d:Device)
    RETURN d
  }
  MERGE (c)-[:USES_DEVICE]->(d)
}
CALL () {
  UNWIND $parts AS p
  MATCH (c:Customer {customer_id: p.customer_id})
  SET c.last_seen_at = COLLECT {
    MATCH (c)-[:PERFORMED]->(e:Event) RETURN e.timestamp AS t ORDER BY t DESC LIMIT 1
  }[0]
}
MERGE (x:IdentityChange {change_id: $change_id})
  ON CREATE SET x.kind = 'split', x.at = $now, x.cause = 'operator', x.actor = $actor,
                x.detail = $detail, x.record_id = $record_id, x.identifier = $identifier
MERGE (x)-[:KEPT]->(old)
WITH x
UNWIND [p IN $parts WHERE p.new] AS p
MATCH (c:Customer {customer_id: p.customer_id})
MERGE (x)-[:SPLIT_OFF]->(c)
