// name: identity.find_seen
// returns: seen (the ids of $ids already applied, as a Record or as an Event: replays of a
// message are recognised by its messageId / record_id and skipped), replays (one map per seen
// id: id; customer_id, the customer it belongs to now, as merges move records and events to
// the survivor; record and event, whether it wrote a Record, an Event or both), suppressed
// (those of $hashes that are Suppressions: identifiers of erased people, whose messages are
// dropped).
CALL () {
  UNWIND $ids AS id
  OPTIONAL MATCH (r:Record {record_id: id})
  OPTIONAL MATCH (e:Event {event_id: id})
  WITH id, r, e
  WHERE r IS NOT NULL OR e IS NOT NULL
  OPTIONAL MATCH (r)-[:BELONGS_TO]->(owner:Customer)
  OPTIONAL MATCH (performer:Customer)-[:PERFORMED]->(e)
  RETURN collect(id) AS seen,
         collect({id: id, customer_id: coalesce(owner.customer_id, performer.customer_id),
                  record: r IS NOT NULL, event: e IS NOT NULL}) AS replays
}
CALL () {
  UNWIND $hashes AS h
  MATCH (s:Suppression {hash: h})
  RETURN collect(h) AS suppressed
}
RETURN seen, replays, suppressed
