// name: event.write_events
// returns: nothing. Four independent UNWIND batches in one round trip:
// $devices (one row per customer and device: upsert the device, USES_DEVICE), $events (new
// Event nodes, PERFORMED by their customer, ON_DEVICE their device), $customers (one row
// per customer: last_seen_at and updated_at) and $traits (the rows of identity.write_traits,
// the batch's computed traits, sent here to save the batch a round trip; may be empty).
// The caller has already filtered out events that exist (the seen check under the
// identifier locks, identity.lock_identifiers), so events are CREATEd; the uniqueness
// constraint on event_id still guards the rare race.
CALL () {
  UNWIND $devices AS dev
  MERGE (d:Device {device_id: dev.device_id})
    ON CREATE SET d.kind = dev.kind, d.os = dev.os, d.user_agent = dev.user_agent,
                  d.browser = dev.browser, d.first_seen = dev.first_seen
  SET d.last_seen = CASE WHEN coalesce(d.last_seen, '') < dev.last_seen
                         THEN dev.last_seen ELSE d.last_seen END
  WITH d, dev
  MATCH (c:Customer {customer_id: dev.customer_id})
  MERGE (c)-[:USES_DEVICE]->(d)
}
CALL () {
  UNWIND $events AS row
  MATCH (c:Customer {customer_id: row.customer_id})
  CREATE (c)-[:PERFORMED]->(e:Event)
  SET e = row.event
  WITH e, row
  UNWIND row.device_ids AS device_id
  MATCH (d:Device {device_id: device_id})
  CREATE (e)-[:ON_DEVICE]->(d)
}
CALL () {
  UNWIND $customers AS row
  MATCH (c:Customer {customer_id: row.customer_id})
  SET c.updated_at = $now,
      c.last_seen_at = CASE WHEN coalesce(c.last_seen_at, '') < row.last_seen_at
                            THEN row.last_seen_at ELSE c.last_seen_at END
}
CALL () {
  UNWIND $traits AS row
  MATCH (c:Customer {customer_id: row.customer_id})
  SET c += row.values, c.trait_state = row.state, c.traits_expire_at = row.expires,
      c.traits_updated_at = $now
}
