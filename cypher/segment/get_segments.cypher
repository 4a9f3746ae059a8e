// name: segment.get_segments
// returns: segments (one row: a list of maps {segment_id, name, version, definition,
// created_at, updated_at, members (the current count)} for the segment ids of $ids, or for
// every segment not deleted when $ids is null, by name).
MATCH (s:Segment)
WHERE s.deleted_at IS NULL AND ($ids IS NULL OR s.segment_id IN $ids)
WITH s ORDER BY s.name, s.segment_id
RETURN collect(s {.segment_id, .name, .version, .definition, .created_at, .updated_at,
                  members: COUNT { (s)<-[:MEMBER_OF]-(:Customer) }}) AS segments
