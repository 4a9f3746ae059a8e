// name: segment.overlap
// returns: union (customers in at least one of the segments $ids) and intersection (in all
// of them), one row.
UNWIND $ids AS id
MATCH (:Segment {segment_id: id})<-[:MEMBER_OF]-(c:Customer)
WITH c, count(DISTINCT id) AS n
RETURN count(c) AS union, count(CASE WHEN n = size($ids) THEN c END) AS intersection
