// name: activation.list_sync_runs
// returns: runs (one row: up to $first SyncRuns of the segment $segment_id, newest first, each
// map its properties) and activations (the segment's ACTIVATED_TO properties with
// destination_id and destination name).
MATCH (s:Segment {segment_id: $segment_id})
RETURN COLLECT {
  MATCH (s)-[:RAN]->(run:SyncRun)
  RETURN properties(run) AS run ORDER BY run.started_at DESC LIMIT $first
} AS runs, COLLECT {
  MATCH (s)-[r:ACTIVATED_TO]->(d:Destination)
  RETURN r {.*, destination_id: d.destination_id, destination: d.name, lease_owner: null}
} AS activations
