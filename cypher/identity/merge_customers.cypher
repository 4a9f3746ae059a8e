// name: identity.merge_customers
// returns: merged (one row: the number of merges made; a row per merge would cost the
// async driver about 130 us each to decode, for callers that never read them). The loser's records, devices, events,
// groups and consent changes move to the survivor; the loser stays as a redirect (merged_into, MERGED_INTO) so
// old ids still answer. Each merge is recorded as an IdentityChange {kind: 'merge'} that
// KEPT the survivor and ABSORBED the loser, with its cause (rule, model, operator), the
// record and identifier that joined them, and the actor.
UNWIND $merges AS m
MATCH (s:Customer {customer_id: m.survivor})
MATCH (l:Customer {customer_id: m.loser})
WHERE l.merged_into IS NULL
CALL (s, l) {
  MATCH (r:Record)-[old:BELONGS_TO]->(l)
  MERGE (r)-[:BELONGS_TO]->(s)
  DELETE old
}
CALL (s, l) {
  MATCH (l)-[old:USES_DEVICE]->(d:Device)
  MERGE (s)-[:USES_DEVICE]->(d)
  DELETE old
}
CALL (s, l) {
  MATCH (l)-[old:PERFORMED]->(e:Event)
  CREATE (s)-[:PERFORMED]->(e)
  DELETE old
}
CALL (s, l) {
  MATCH (l)-[old:IN_GROUP]->(g:Group)
  MERGE (s)-[:IN_GROUP]->(g)
  DELETE old
}
CALL (s, l) {
  MATCH (l)-[old:HAS_CONSENT]->(x:ConsentChange)
  MERGE (s)-[:HAS_CONSENT]->(x)
  DELETE old
}
CALL (s, l) {
  MATCH (older:Customer)-[:MERGED_INTO]->(l)
  SET older.merged_into = s.customer_id
}
SET l.merged_into = s.customer_id, l.merged_at = $now, s.updated_at = $now,
    s.first_names = coalesce(s.first_names, [])
                    + [n IN coalesce(l.first_names, []) WHERE NOT n IN coalesce(s.first_names, [])],
    s.dobs = coalesce(s.dobs, [])
             + [d IN coalesce(l.dobs, []) WHERE NOT d IN coalesce(s.dobs, [])]
MERGE (l)-[:MERGED_INTO {at: $now, cause: m.cause}]->(s)
MERGE (x:IdentityChange {change_id: m.change_id})
  ON CREATE SET x.kind = 'merge', x.at = $now, x.cause = m.cause, x.record_id = m.record_id,
                x.identifier = m.identifier, x.actor = m.actor, x.detail = m.detail
MERGE (x)-[:KEPT]->(s)
MERGE (x)-[:ABSORBED]->(l)
RETURN count(*) AS merged
