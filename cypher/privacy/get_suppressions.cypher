// name: privacy.get_suppressions
// returns: hash, suppression ({at, erasure_id, dropped, last_dropped_at}) for each of
// $hashes that is suppressed.
UNWIND $hashes AS h
MATCH (s:Suppression {hash: h})
RETURN h AS hash, s {.at, .erasure_id, .dropped, .last_dropped_at} AS suppression
