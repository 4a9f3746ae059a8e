// name: activation.pending_deltas
// returns: deltas (one row: up to $limit maps {seq, kind ('enter' or 'exit'), customer_id, at,
// customer (the live customer's properties, null when gone)}, in seq order, the segment
// $segment_id's membership changes after $cursor up to $upto).
MATCH (m:MembershipChange {segment_id: $segment_id})
WHERE m.seq > $cursor AND m.seq <= $upto
WITH m ORDER BY m.seq LIMIT $limit
OPTIONAL MATCH (c:Customer {customer_id: m.customer_id})
RETURN collect({seq: m.seq, kind: m.kind, customer_id: m.customer_id, at: m.at,
                customer: properties(c)}) AS deltas
