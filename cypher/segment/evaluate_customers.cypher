// name: segment.evaluate_customers
// returns: members (one row: the ids among the live customers $ids that the segment's
// condition holds for), for incremental evaluation after changes. segments/compile.py puts
// the compiled condition in place of the `true` marked condition.
UNWIND $ids AS id
MATCH (c:Customer {customer_id: id})
WHERE c.merged_into IS NULL AND true /* condition */
RETURN collect(c.customer_id) AS members
