// name: conflict.count_conflicts
// returns: reason, count (conflicts recorded at or after $since, per reason, most first).
MATCH (k:Conflict)
WHERE k.at >= $since
RETURN k.reason AS reason, count(*) AS count
ORDER BY count DESC, reason
