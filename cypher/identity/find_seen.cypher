// name: identity.find_seen
// returns: seen (the ids of $ids already applied, as a Record or as an Event: replays of a
// message are recognised by its messageId / record_id and skipped), suppressed (those of
// $hashes that are Suppressions: identifiers of erased people, whose messages are dropped).
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
