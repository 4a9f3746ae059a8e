// name: segment.when_occurrence
// returns: holds (whether the $which ('first' or 'last') event named $event of the customer
// $customer_id happened at or after $since and before $before (each null: unbounded); false
// when it never happened). A building block of segment conditions (segments/compile.py).
MATCH (c:Customer {customer_id: $customer_id})
RETURN coalesce(
  CASE $which
    WHEN 'last' THEN head(COLLECT { MATCH (c)-[:PERFORMED]->(e:Event) WHERE e.name = $event
                                    RETURN e.timestamp AS t ORDER BY t DESC LIMIT 1 })
    ELSE head(COLLECT { MATCH (c)-[:PERFORMED]->(e:Event) WHERE e.name = $event
                        RETURN e.timestamp AS t ORDER BY t ASC LIMIT 1 })
  END >= coalesce($since, '')
  AND CASE $which
    WHEN 'last' THEN head(COLLECT { MATCH (c)-[:PERFORMED]->(e:Event) WHERE e.name = $event
                                    RETURN e.timestamp AS t ORDER BY t DESC LIMIT 1 })
    ELSE head(COLLECT { MATCH (c)-[:PERFORMED]->(e:Event) WHERE e.name = $event
                        RETURN e.timestamp AS t ORDER BY t ASC LIMIT 1 })
  END < coalesce($before, '\uffff'), false) AS holds
