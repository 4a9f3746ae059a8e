// name: privacy.count_dropped
// returns: nothing. Adds to each Suppression of $drops [{hash, messages}] the messages dropped
// because they bore it, with the time of the last drop.
UNWIND $drops AS d
MATCH (s:Suppression {hash: d.hash})
SET s.dropped = coalesce(s.dropped, 0) + d.messages, s.last_dropped_at = $now
