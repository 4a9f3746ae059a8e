// name: match.join_linked
// returns: pairs (one row: a list of maps with record_id, other_record_id, customer_id,
// created_at, kept_apart, holds, other_customer_id, other_created_at, other_kept_apart,
// other_holds, and the first names and birth dates of each (first_names, dobs,
// other_first_names, other_dobs)): for each pair of
// $pairs [{record_id, other_record_id}], the live customers of its two records, every
// customer of the call write-locked (in id order, once), with what each holds; no row for a
// pair whose record is missing.
UNWIND $pairs AS p
MATCH (r:Record {record_id: p.record_id})-[:BELONGS_TO]->(c:Customer)
MATCH (s:Record {record_id: p.other_record_id})-[:BELONGS_TO]->(o:Customer)
WITH collect({p: p, c: c, o: o}) AS rows
CALL (rows) {
  UNWIND rows AS row
  UNWIND [row.c, row.o] AS x
  WITH DISTINCT x ORDER BY x.customer_id
  SET x.updated_at = $now
}
UNWIND rows AS row
WITH row.p AS p, row.c AS c, row.o AS o
RETURN collect({
  record_id: p.record_id, other_record_id: p.other_record_id,
  customer_id: c.customer_id, created_at: c.created_at,
  kept_apart: coalesce(c.kept_apart, []), first_names: coalesce(c.first_names, []),
  dobs: coalesce(c.dobs, []),
  other_first_names: coalesce(o.first_names, []), other_dobs: coalesce(o.dobs, []),
  holds: COLLECT { MATCH (c)<-[:BELONGS_TO]-(:Record)-[:HAS_IDENTIFIER]->(i)
                   RETURN DISTINCT i.key },
  other_customer_id: o.customer_id, other_created_at: o.created_at,
  other_kept_apart: coalesce(o.kept_apart, []),
  other_holds: COLLECT { MATCH (o)<-[:BELONGS_TO]-(:Record)-[:HAS_IDENTIFIER]->(i)
                         RETURN DISTINCT i.key }
}) AS pairs
