// name: customer.list_customer_ids
// returns: customer_id (live customers after $after in id order, at most $limit: a page).
MATCH (c:Customer)
WHERE c.customer_id > $after AND c.merged_into IS NULL
RETURN c.customer_id AS customer_id
ORDER BY customer_id
LIMIT $limit
