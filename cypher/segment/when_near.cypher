// name: segment.when_near
// returns: holds (whether within $hops (1 or 2) shared devices or groups of the customer
// $customer_id there is another customer whose property $field compares with the value, as
// in segment.when_property; a device or group of more than $cap customers links no one).
// A building block of segment conditions (segments/compile.py).
MATCH (c:Customer {customer_id: $customer_id})
RETURN EXISTS {
  MATCH (c) ((:Customer)-[r:USES_DEVICE|IN_GROUP]->(t)<-[:USES_DEVICE|IN_GROUP]-(:Customer)
             WHERE COUNT { (t)<-[:USES_DEVICE|IN_GROUP]-(:Customer) } <= $cap){1,2} (o:Customer)
  WHERE o <> c AND size(r) <= $hops AND coalesce(CASE $op
    WHEN 'exists' THEN o[$field] IS NOT NULL
    WHEN 'eq' THEN o[$field] = $value
    WHEN 'ne' THEN o[$field] <> $value
    WHEN 'gt' THEN o[$field] > $value
    WHEN 'gte' THEN o[$field] >= $value
    WHEN 'lt' THEN o[$field] < $value
    WHEN 'lte' THEN o[$field] <= $value
    WHEN 'in' THEN o[$field] IN $list
    WHEN 'between' THEN o[$field] >= $low AND o[$field] <= $high
    WHEN 'contains' THEN toLower(toString(o[$field])) CONTAINS toLower($text)
  END, false)
} AS holds
