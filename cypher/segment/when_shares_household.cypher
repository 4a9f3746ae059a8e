// name: segment.when_shares_household
// returns: holds (whether the customer $customer_id is in a household (a Group whose type is
// 'household') with another customer who is a member of the segment $segment; a household of
// more than $cap members counts for no one). A building block (segments/compile.py).
MATCH (c:Customer {customer_id: $customer_id})
RETURN EXISTS {
  MATCH (c)-[:IN_GROUP]->(g:Group)<-[:IN_GROUP]-(o:Customer)
        -[:MEMBER_OF]->(:Segment {segment_id: $segment})
  WHERE o <> c AND toLower(toString(g.type)) = 'household'
    AND COUNT { (g)<-[:IN_GROUP]-(:Customer) } <= $cap
} AS holds
