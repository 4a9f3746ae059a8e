// name: identity.write_golden
// returns: nothing. $rows: one per customer whose golden attributes changed: values (the
// survivors, matching.survivorship), clear (a map of attribute -> null for attributes that no
// longer have a value, after a split), provenance (JSON: attribute -> the winning record,
// source, time and policy) and stats (JSON: the statistics the next batch continues from).
UNWIND $rows AS row
MATCH (c:Customer {customer_id: row.customer_id})
SET c += row.clear
SET c += row.values, c.golden_provenance = row.provenance, c.golden_stats = row.stats
SET c.display_name = coalesce(
  c.name,
  CASE WHEN c.first_name IS NOT NULL OR c.last_name IS NOT NULL
       THEN trim(coalesce(c.first_name, '') + ' ' + coalesce(c.last_name, '')) END,
  c.email)
