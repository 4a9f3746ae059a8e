// name: segment.check_conditions
// returns: holds (one row: a list of booleans, one per compiled leaf condition of a segment
// for the customer $customer_id, in order; no row when there is no such customer). For "why
// is this customer (not) a member": segments/compile.py puts the leaves' conditions, comma
// separated, in place of the `true` marked list item.
MATCH (c:Customer {customer_id: $customer_id})
RETURN [true /* conditions */] AS holds
