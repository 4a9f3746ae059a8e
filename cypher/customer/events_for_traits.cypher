// name: customer.events_for_traits
// returns: customer_id, events: [{event_id, name, timestamp, properties}] (every event each
// customer of $ids performed, for rebuilding its computed traits).
UNWIND $ids AS id
MATCH (c:Customer {customer_id: id})
RETURN id AS customer_id,
       COLLECT {
         MATCH (c)-[:PERFORMED]->(e:Event)
         RETURN e {.event_id, .name, .timestamp, .properties}
       } AS events
