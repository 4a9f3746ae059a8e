// name: identity.write_traits
// returns: nothing. $rows: one per customer whose computed traits changed: values (trait name
// -> value; null removes it), state (JSON the next batch continues from) and expires (the
// ISO date a windowed trait next changes, or null), see traits.computed.
UNWIND $rows AS row
MATCH (c:Customer {customer_id: row.customer_id})
SET c += row.values, c.trait_state = row.state, c.traits_expire_at = row.expires,
    c.traits_updated_at = $now
