// name: segment.membership_history
// returns: days (one row: a list of {day (YYYY-MM-DD, UTC), entered, exited}, the enters and
// exits of the segment $segment_id on each day since $since, oldest first).
MATCH (m:MembershipChange {segment_id: $segment_id})
WHERE m.at >= $since
WITH substring(m.at, 0, 10) AS day, m
WITH day, count(CASE WHEN m.kind = 'enter' THEN 1 END) AS entered,
     count(CASE WHEN m.kind = 'exit' THEN 1 END) AS exited
ORDER BY day
RETURN collect({day: day, entered: entered, exited: exited}) AS days
