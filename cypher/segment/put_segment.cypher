// name: segment.put_segment
// returns: segment_id, name, version, definition, created_at, updated_at (the segment after
// the write). Creates the segment $segment_id, or gives it a new version ($name and
// $definition, JSON text), keeping every version as a SegmentVersion it HAD_VERSION.
MERGE (s:Segment {segment_id: $segment_id})
  ON CREATE SET s.created_at = $now, s.version = 0
SET s.version = s.version + 1, s.name = $name, s.definition = $definition,
    s.updated_at = $now, s.actor = $actor
REMOVE s.deleted_at
CREATE (s)-[:HAD_VERSION]->(:SegmentVersion {segment_id: $segment_id, version: s.version,
                                             definition: $definition, at: $now, actor: $actor})
RETURN s.segment_id AS segment_id, s.name AS name, s.version AS version,
       s.definition AS definition, s.created_at AS created_at, s.updated_at AS updated_at
