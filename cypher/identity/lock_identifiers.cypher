// name: identity.lock_identifiers
// returns: nothing. Creates missing identifiers and write-locks every identifier of the batch,
// so concurrent workers touching the same identifiers resolve one after the other.
// $keys is sorted by the caller, which keeps the lock order stable and deadlocks rare.
UNWIND $identifiers AS i
MERGE (n:Identifier {key: i.key})
  ON CREATE SET n.type = i.type, n.value = i.value, n.created_at = $now
SET n.last_seen = $now
