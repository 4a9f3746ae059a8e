// name: record.model_records
// returns: record_id, golden (JSON of what the record states), a page of $limit records with
// record_id > $after in id order: the training input of `graphcdp match train --from-graph`.
MATCH (r:Record)
WHERE r.record_id > $after AND r.golden IS NOT NULL AND r.golden <> '{}'
RETURN r.record_id AS record_id, r.golden AS golden
ORDER BY record_id
LIMIT $limit
