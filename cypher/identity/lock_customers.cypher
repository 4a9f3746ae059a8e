// name: identity.lock_customers
// returns: locked (the ids of the customers locked). Write-locks the customers that $keys lead
// to, and those of $customer_ids, in customer id order (so concurrent batches lock in one
// order), by touching updated_at. The repository reads them (identity.customers_for_
// identifiers) once they are locked: a concurrent merge or attach on one of them has then
// either committed or not started; a customer that shows up unlocked is locked in turn.
CALL () {
  UNWIND $keys AS key
  MATCH (:Identifier {key: key})<-[:HAS_IDENTIFIER]-(:Record)-[:BELONGS_TO]->(c:Customer)
  RETURN c
  UNION
  UNWIND $customer_ids AS id
  MATCH (c:Customer {customer_id: id})
  RETURN c
}
WITH DISTINCT c
ORDER BY c.customer_id
SET c.updated_at = $now
RETURN collect(c.customer_id) AS locked
