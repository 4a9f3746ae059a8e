// name: bench.load_events
// returns: loaded (the number of rows). The API benchmark's events (bench/api.py): each row
// of $rows [{customer_id, event_id, name, timestamp, properties}] is a track Event the
// customer PERFORMED.
UNWIND $rows AS row
MATCH (c:Customer {customer_id: row.customer_id})
CREATE (c)-[:PERFORMED]->(:Event {event_id: row.event_id, type: 'track', name: row.name,
                                  timestamp: row.timestamp, source: 'bench',
                                  properties: row.properties})
RETURN count(*) AS loaded
