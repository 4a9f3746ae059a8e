// name: audit.write_batch
// returns: written (the batch's entry count). One AuditBatch holds a flush of the audit log:
// its entries as JSON ($entries: who (actor, role), what (operation, kind, fields,
// customer_ids), when (at); never values: no PII in the log), with what a reader filters on
// beside it: first_at and last_at (the entries' time range), actors, kinds, customer_ids.
// One node a flush instead of one an entry: a PII read is an entry, and a flush of 360 took
// 85-120 ms as nodes, 7-20 ms as one node (bench/README.md, session 14).
// MERGE on batch_id (unique; a hash of the entry ids) makes a retried batch harmless.
// Customers are kept as ids, not relationships, so writing the log never locks a customer.
MERGE (b:AuditBatch {batch_id: $batch_id})
  ON CREATE SET b.first_at = $first_at, b.last_at = $last_at, b.count = $count,
                b.actors = $actors, b.kinds = $kinds, b.customer_ids = $customer_ids,
                b.entries = $entries
RETURN b.count AS written
