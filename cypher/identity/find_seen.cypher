// name: identity.find_seen
// returns: id (one row per id of $ids already applied, as a Record or as an Event): replays
// of a message are recognised by its messageId / record_id and skipped.
UNWIND $ids AS id
OPTIONAL MATCH (r:Record {record_id: id})
OPTIONAL MATCH (e:Event {event_id: id})
WITH id, r, e
WHERE r IS NOT NULL OR e IS NOT NULL
RETURN id
