// name: bloom.recent_conflicts
// phrase: conflicts in the last $days days
// param: $days Integer
// returns: k (the conflict), p (paths): each Conflict of the last $days days with the
// identifier (or record) it is ABOUT and the customers it kept apart (INVOLVES). Conflict.at
// is an ISO-8601 UTC string; it is read as a datetime, so the server's time zone does not
// matter (conflicts are few: no index needed). A Bloom search phrase (graph/bloom.py).
MATCH (k:Conflict)
WHERE datetime(k.at) >= datetime() - duration({days: $days})
OPTIONAL MATCH p = (k)-[:ABOUT|INVOLVES]->()
RETURN k, p
