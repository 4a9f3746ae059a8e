// name: record.model_records
// returns: scanned (records read: $limit unless this was the last page), last (the greatest
// record id read), page (a list of [record_id, golden] for those that state something, only
// those of $source unless it is null): the $limit records after $after in id order, as one
// row (the Python driver spends far longer on many small rows than on one list), the input
// of `graphcdp match train --from-graph` and `graphcdp match link`.
MATCH (r:Record)
WHERE r.record_id > $after
WITH r ORDER BY r.record_id LIMIT $limit
WITH collect(r) AS rs
RETURN size(rs) AS scanned, rs[-1].record_id AS last,
       [r IN rs WHERE r.golden IS NOT NULL AND r.golden <> '{}'
                      AND ($source IS NULL OR r.source = $source) | [r.record_id, r.golden]]
         AS page
