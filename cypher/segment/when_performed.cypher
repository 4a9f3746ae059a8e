// name: segment.when_performed
// returns: holds (whether the customer $customer_id performed events named $event at least
// $at_least times since $since (null: ever), each event's properties (JSON) passing every
// filter of $where [{field, op, value, list, low, high}], compared as in
// segment.when_property). A building block of segment conditions (segments/compile.py).
MATCH (c:Customer {customer_id: $customer_id})
RETURN COUNT {
  MATCH (c)-[:PERFORMED]->(e:Event)
  WHERE e.name = $event AND ($since IS NULL OR e.timestamp >= $since)
    AND all(f IN $where WHERE coalesce(CASE f.op
      WHEN 'exists' THEN apoc.convert.fromJsonMap(coalesce(e.properties, '{}'))[f.field] IS NOT NULL
      WHEN 'eq' THEN apoc.convert.fromJsonMap(coalesce(e.properties, '{}'))[f.field] = f.value
      WHEN 'ne' THEN apoc.convert.fromJsonMap(coalesce(e.properties, '{}'))[f.field] <> f.value
      WHEN 'gt' THEN apoc.convert.fromJsonMap(coalesce(e.properties, '{}'))[f.field] > f.value
      WHEN 'gte' THEN apoc.convert.fromJsonMap(coalesce(e.properties, '{}'))[f.field] >= f.value
      WHEN 'lt' THEN apoc.convert.fromJsonMap(coalesce(e.properties, '{}'))[f.field] < f.value
      WHEN 'lte' THEN apoc.convert.fromJsonMap(coalesce(e.properties, '{}'))[f.field] <= f.value
      WHEN 'in' THEN apoc.convert.fromJsonMap(coalesce(e.properties, '{}'))[f.field] IN f.list
      WHEN 'between' THEN apoc.convert.fromJsonMap(coalesce(e.properties, '{}'))[f.field] >= f.low
                      AND apoc.convert.fromJsonMap(coalesce(e.properties, '{}'))[f.field] <= f.high
      WHEN 'contains' THEN toLower(toString(apoc.convert.fromJsonMap(coalesce(e.properties, '{}'))[f.field]))
                           CONTAINS toLower(f.text)
    END, false))
} >= $at_least AS holds
