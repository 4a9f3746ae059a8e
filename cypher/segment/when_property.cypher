// name: segment.when_property
// returns: holds (whether the customer $customer_id's property $field, a golden attribute or
// a trait, compares with the value). A building block of segment conditions: the compiler
// (segments/compile.py) takes the expression of RETURN, with its parameters renamed.
// Comparison parameters (as segments.compile passes them): $op (eq ne gt gte lt lte in
// between contains exists), $value (a scalar), $list (for in), $low and $high (for between),
// $text (for contains);
// a missing value compares false, so NOT of a comparison holds for a customer without it.
MATCH (c:Customer {customer_id: $customer_id})
RETURN coalesce(CASE $op
  WHEN 'exists' THEN c[$field] IS NOT NULL
  WHEN 'eq' THEN c[$field] = $value
  WHEN 'ne' THEN c[$field] <> $value
  WHEN 'gt' THEN c[$field] > $value
  WHEN 'gte' THEN c[$field] >= $value
  WHEN 'lt' THEN c[$field] < $value
  WHEN 'lte' THEN c[$field] <= $value
  WHEN 'in' THEN c[$field] IN $list
  WHEN 'between' THEN c[$field] >= $low AND c[$field] <= $high
  WHEN 'contains' THEN toLower(toString(c[$field])) CONTAINS toLower($text)
END, false) AS holds
