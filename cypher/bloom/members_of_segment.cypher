// name: bloom.members_of_segment
// phrase: members of segment $name
// param: $name String Segment name
// returns: p (paths): customer -MEMBER_OF-> segment for the live segment of that name. A
// Bloom search phrase (Bloom's own node limit caps a large segment).
MATCH p = (c:Customer)-[:MEMBER_OF]->(s:Segment {name: $name})
WHERE s.deleted_at IS NULL AND c.merged_into IS NULL
RETURN p
