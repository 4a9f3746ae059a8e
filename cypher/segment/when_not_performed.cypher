// name: segment.when_not_performed
// returns: holds (whether the customer $customer_id performed no event named $event since
// $since (null: ever)). A building block of segment conditions (segments/compile.py).
MATCH (c:Customer {customer_id: $customer_id})
RETURN NOT EXISTS {
  MATCH (c)-[:PERFORMED]->(e:Event)
  WHERE e.name = $event AND ($since IS NULL OR e.timestamp >= $since)
} AS holds
