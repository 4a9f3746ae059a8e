// name: identity.lock_identifiers
// returns: seen (those of $ids applied meanwhile, as a Record or an Event), suppressed (those
// of $hashes that became Suppressions meanwhile: an erasure committed while this waited).
// Creates missing identifiers and write-locks every identifier of the batch first, so
// concurrent workers that touch the same identifiers resolve one after the other; the checks
// after the locks catch what another transaction committed while this one waited.
// $identifiers is sorted by the caller, which keeps the lock order stable and deadlocks rare.
CALL () {
  UNWIND $identifiers AS i
  MERGE (n:Identifier {key: i.key})
    ON CREATE SET n.type = i.type, n.value = i.value, n.created_at = $now
  SET n.last_seen = $now
}
CALL () {
  UNWIND $ids AS id
  OPTIONAL MATCH (r:Record {record_id: id})
  OPTIONAL MATCH (e:Event {event_id: id})
  WITH id, r, e
  WHERE r IS NOT NULL OR e IS NOT NULL
  RETURN collect(id) AS seen
}
CALL () {
  UNWIND $hashes AS h
  MATCH (s:Suppression {hash: h})
  RETURN collect(h) AS suppressed
}
RETURN seen, suppressed
