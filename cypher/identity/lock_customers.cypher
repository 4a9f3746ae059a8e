// name: identity.lock_customers
// returns: nothing. Write-locks the customers of $customer_ids (sorted by the caller) by
// touching updated_at. The repository sends it in the same statement as
// identity.customers_for_identifiers, so the customers are read again once they are locked:
// a concurrent merge or attach on one of them has then either committed or not started.
CALL () {
  UNWIND $customer_ids AS id
  MATCH (c:Customer {customer_id: id})
  SET c.updated_at = $now
}
