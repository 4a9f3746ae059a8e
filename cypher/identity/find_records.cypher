// name: identity.find_records
// returns: record_id (one row per record of $record_ids already in the graph)
UNWIND $record_ids AS record_id
MATCH (r:Record {record_id: record_id})
RETURN r.record_id AS record_id
