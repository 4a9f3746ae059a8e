// name: segment.when_in_segment
// returns: holds (whether the customer $customer_id is a member of the segment $segment).
// A building block of segment conditions (segments/compile.py).
MATCH (c:Customer {customer_id: $customer_id})
RETURN EXISTS { (c)-[:MEMBER_OF]->(:Segment {segment_id: $segment}) } AS holds
