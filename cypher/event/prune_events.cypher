// name: event.prune_events
// returns: deleted (how many events past their retention were deleted). An event's cutoff is
// the latest among the $rules it matches ([{selector: 'type'|'event'|'source', value,
// cutoff}]: the rule of fewest days wins), else $default_cutoff (privacy.retention); only
// events before $latest_cutoff can be due, which the timestamp index finds. Runs in batches
// of $batch rows, each its own transaction, so it must be sent as an auto-commit query.
MATCH (e:Event)
WHERE e.timestamp < $latest_cutoff
WITH e, [r IN $rules WHERE (r.selector = 'type' AND e.type = r.value)
                        OR (r.selector = 'event' AND e.name = r.value)
                        OR (r.selector = 'source' AND e.source = r.value) | r.cutoff] AS cutoffs
WITH e, CASE WHEN size(cutoffs) = 0 THEN $default_cutoff
             ELSE reduce(latest = '', c IN cutoffs | CASE WHEN c > latest THEN c ELSE latest END)
        END AS cutoff
WHERE e.timestamp < cutoff
CALL (e) {
  DETACH DELETE e
} IN TRANSACTIONS OF $batch ROWS
RETURN count(*) AS deleted
