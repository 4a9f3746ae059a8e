// name: privacy.export_customer
// returns: one row for the live customer $customer_id is or was merged into (none when
// unknown): customer (its properties: golden attributes with their provenance, traits),
// ids (it and the ids merged into it), records (each source observation with its
// attributes: the provenance of every value), identifiers, devices, events (all, oldest
// first), consent (every change, oldest first), memberships (segments now), membership
// history, groups, identity changes (merges and splits) and model links. Everything held
// about a person, for an access request (privacy.export).
MATCH (asked:Customer {customer_id: $customer_id})
OPTIONAL MATCH (live:Customer {customer_id: asked.merged_into})
WITH coalesce(live, asked) AS c
OPTIONAL MATCH (old:Customer)-[:MERGED_INTO*1..]->(c)
WITH c, [c.customer_id] + collect(DISTINCT old.customer_id) AS ids
RETURN properties(c) AS customer, ids,
  COLLECT {
    MATCH (c)<-[:BELONGS_TO]-(r:Record)
    WITH r ORDER BY r.timestamp, r.record_id
    RETURN r {.record_id, .source, .kind, .received_at, .timestamp, .attributes, .golden,
              identifiers: [(r)-[:HAS_IDENTIFIER]->(i:Identifier) | i.key],
              removed_identifiers: [(r)-[:HAD_IDENTIFIER]->(i:Identifier) | i.key],
              model_links: [(r)-[m:MATCHES]-(o:Record) | m {other_record_id: o.record_id,
                            .model_version, .probability, .match_weight, .explanation}]}
  } AS records,
  COLLECT {
    MATCH (c)<-[:BELONGS_TO]-(:Record)-[:HAS_IDENTIFIER]->(i:Identifier)
    WITH DISTINCT i ORDER BY i.key
    RETURN i {.key, .type, .value, .created_at, .last_seen}
  } AS identifiers,
  COLLECT {
    MATCH (c)-[:USES_DEVICE]->(d:Device)
    WITH d ORDER BY d.device_id
    RETURN d {.device_id, .kind, .os, .browser, .user_agent, .first_seen, .last_seen}
  } AS devices,
  COLLECT {
    MATCH (c)-[:PERFORMED]->(e:Event)
    WITH e ORDER BY e.timestamp, e.event_id
    RETURN e {.*, device_ids: [(e)-[:ON_DEVICE]->(d:Device) | d.device_id]}
  } AS events,
  COLLECT {
    MATCH (c)-[:HAS_CONSENT]->(x:ConsentChange)
    WITH x ORDER BY x.at, x.change_id
    RETURN x {.purpose, .status, .at, .source, .expires_at, .record_id}
  } AS consent,
  COLLECT {
    MATCH (c)-[m:MEMBER_OF]->(s:Segment)
    WITH s, m ORDER BY s.name
    RETURN {segment_id: s.segment_id, name: s.name, since: m.since}
  } AS memberships,
  COLLECT {
    MATCH (m:MembershipChange) WHERE m.customer_id IN ids
    WITH m ORDER BY m.at, m.segment_id
    RETURN m {.segment_id, .kind, .at, .version}
  } AS membership_history,
  COLLECT {
    MATCH (c)-[:IN_GROUP]->(g:Group)
    RETURN properties(g)
  } AS groups,
  COLLECT {
    MATCH (x:IdentityChange)-[:KEPT|ABSORBED|SPLIT_OFF]->(p:Customer)
    WHERE p.customer_id IN ids
    WITH DISTINCT x ORDER BY x.at
    RETURN x {.change_id, .kind, .at, .cause, .record_id, .identifier, .actor, .detail}
  } AS identity_changes
