// name: customer.due_traits
// returns: customer_id, trait_state (at most $limit live customers whose windowed traits
// change by $day, an ISO date: traits_expire_at <= $day).
MATCH (c:Customer)
WHERE c.traits_expire_at <= $day AND c.merged_into IS NULL
RETURN c.customer_id AS customer_id, c.trait_state AS trait_state
LIMIT $limit
