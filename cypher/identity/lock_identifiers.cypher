// name: identity.lock_identifiers
// returns: id (those of $ids applied meanwhile, as a Record or an Event). Creates missing
// identifiers and write-locks every identifier of the batch first, so concurrent workers that
// touch the same identifiers resolve one after the other; the check after the locks catches a
// message another worker applied while this one waited. $identifiers is sorted by the caller,
// which keeps the lock order stable and deadlocks rare.
CALL () {
  UNWIND $identifiers AS i
  MERGE (n:Identifier {key: i.key})
    ON CREATE SET n.type = i.type, n.value = i.value, n.created_at = $now
  SET n.last_seen = $now
}
UNWIND $ids AS id
OPTIONAL MATCH (r:Record {record_id: id})
OPTIONAL MATCH (e:Event {event_id: id})
WITH id, r, e
WHERE r IS NOT NULL OR e IS NOT NULL
RETURN id
