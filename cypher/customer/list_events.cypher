// name: customer.list_events
// returns: pages (one row: a list of {customer_id, events}, one per customer id of $ids that
// exists, events being up to $limit maps {event_id, type, name, timestamp, source, properties
// (JSON text), device_ids}, newest first (timestamp, then event_id, descending), strictly
// before the cursor ($before_ts, $before_id; null: from the newest), named one of $names
// (null: any) and within [$since, $until) (null: unbounded)). One round trip for every
// customer of a request asking the same page (the events DataLoader).
UNWIND $ids AS id
MATCH (c:Customer {customer_id: id})
RETURN collect({
  customer_id: id,
  events: COLLECT {
    MATCH (c)-[:PERFORMED]->(e:Event)
    WHERE ($names IS NULL OR e.name IN $names)
      AND ($since IS NULL OR e.timestamp >= $since)
      AND ($until IS NULL OR e.timestamp < $until)
      AND ($before_ts IS NULL OR e.timestamp < $before_ts
           OR (e.timestamp = $before_ts AND e.event_id < $before_id))
    WITH e ORDER BY e.timestamp DESC, e.event_id DESC LIMIT $limit
    RETURN e {.event_id, .type, .name, .timestamp, .source, .properties,
              device_ids: [(e)-[:ON_DEVICE]->(d:Device) | d.device_id]}
  }
}) AS pages
