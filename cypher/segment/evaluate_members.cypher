// name: segment.evaluate_members
// returns: members (one row: the ids of every live customer the segment's condition holds
// for). segments/compile.py puts the compiled condition in place of the `true` marked condition
// (as written here: every live customer).
MATCH (c:Customer)
WHERE c.merged_into IS NULL AND true /* condition */
RETURN collect(c.customer_id) AS members
