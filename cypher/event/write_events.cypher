// name: event.write_events
// returns: event_id, customer_id (one row per event written). Each event joins its customer
// (PERFORMED), its device (ON_DEVICE) and, for group calls, the group (IN_GROUP).
UNWIND $rows AS row
MATCH (c:Customer {customer_id: row.customer_id})
MERGE (e:Event {event_id: row.event_id})
  ON CREATE SET e.type = row.type, e.name = row.name, e.timestamp = row.timestamp,
                e.received_at = row.received_at, e.source = row.source,
                e.properties = row.properties, e.via = row.via
SET e += row.utm
MERGE (c)-[:PERFORMED]->(e)
SET c.last_seen_at = CASE WHEN coalesce(c.last_seen_at, '') < row.timestamp
                          THEN row.timestamp ELSE c.last_seen_at END,
    c.updated_at = $now
WITH c, e, row
CALL (c, e, row) {
  UNWIND row.devices AS dev
  MERGE (d:Device {device_id: dev.device_id})
    ON CREATE SET d.kind = dev.kind, d.os = dev.os, d.user_agent = dev.user_agent,
                  d.browser = dev.browser,
                  d.first_seen = row.timestamp
  SET d.last_seen = CASE WHEN coalesce(d.last_seen, '') < row.timestamp
                         THEN row.timestamp ELSE d.last_seen END
  MERGE (c)-[:USES_DEVICE]->(d)
  MERGE (e)-[:ON_DEVICE]->(d)
}
CALL (c, row) {
  UNWIND row.groups AS g
  MERGE (grp:Group {group_id: g.group_id})
    ON CREATE SET grp.created_at = $now
  SET grp += g.traits, grp.updated_at = $now
  MERGE (c)-[:IN_GROUP]->(grp)
}
RETURN e.event_id AS event_id, c.customer_id AS customer_id
