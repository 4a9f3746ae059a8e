// name: record.model_records
// returns: record_id, golden (JSON of what the record states), a page of $limit records with
// record_id > $after in id order (only those of $source unless it is null): the input of
// `graphcdp match train --from-graph` and `graphcdp match link`.
MATCH (r:Record)
WHERE r.record_id > $after AND r.golden IS NOT NULL AND r.golden <> '{}'
  AND ($source IS NULL OR r.source = $source)
RETURN r.record_id AS record_id, r.golden AS golden
ORDER BY record_id
LIMIT $limit
