// name: related.identity_path
// returns: steps (one row, or none when no path within 10 hops): the shortest path between
// two nodes of the identity graph, as a list of {label, id, via} (via: the relationship type
// that led to the node; null for the first; one step when both ids lead to one node). $from and $to are each a customer id (followed
// to its live customer) or a record id. The path runs over records, identifiers, model links
// (MATCHES), devices and merges: BELONGS_TO, HAS_IDENTIFIER, MATCHES, SEEN_ON, MERGED_INTO.
OPTIONAL MATCH (fc:Customer {customer_id: $from})
OPTIONAL MATCH (flive:Customer {customer_id: fc.merged_into})
OPTIONAL MATCH (fr:Record {record_id: $from})
OPTIONAL MATCH (tc:Customer {customer_id: $to})
OPTIONAL MATCH (tlive:Customer {customer_id: tc.merged_into})
OPTIONAL MATCH (tr:Record {record_id: $to})
WITH coalesce(flive, fc, fr) AS a, coalesce(tlive, tc, tr) AS b
WHERE a IS NOT NULL AND b IS NOT NULL
CALL (a, b) {
  WITH a, b WHERE a = b
  RETURN [a] AS ns, [] AS rs
  UNION
  WITH a, b WHERE a <> b
  MATCH p = shortestPath((a)-[:BELONGS_TO|HAS_IDENTIFIER|MATCHES|SEEN_ON|MERGED_INTO*..10]-(b))
  RETURN nodes(p) AS ns, relationships(p) AS rs
}
RETURN [i IN range(0, size(ns) - 1) | {
  label: labels(ns[i])[0],
  id: coalesce(ns[i].customer_id, ns[i].record_id, ns[i].key, ns[i].device_id),
  via: CASE WHEN i = 0 THEN null ELSE type(rs[i - 1]) END
}] AS steps
