// name: customer.purchases_for_predictions
// returns: page: [{customer_id, purchases: [[timestamp, properties]]}] in ONE row (a page of at
// most $limit live customers after $after in id order, optionally only those of $ids, that
// performed an Event named $event before $until, with those events), see traits.predict_job.
MATCH (c:Customer)
WHERE c.customer_id > $after AND c.merged_into IS NULL
  AND ($ids IS NULL OR c.customer_id IN $ids)
  AND EXISTS { (c)-[:PERFORMED]->(e:Event {name: $event}) WHERE e.timestamp < $until }
WITH c
ORDER BY c.customer_id
LIMIT $limit
RETURN collect({
  customer_id: c.customer_id,
  purchases: COLLECT {
    MATCH (c)-[:PERFORMED]->(e:Event {name: $event})
    WHERE e.timestamp < $until
    RETURN [e.timestamp, e.properties]
  }
}) AS page
