// name: segment.when_shares_device
// returns: holds (whether the customer $customer_id uses a device that another customer,
// a member of the segment $segment, uses too; a device of more than $cap customers, a
// kiosk, counts for no one). A building block of segment conditions (segments/compile.py).
MATCH (c:Customer {customer_id: $customer_id})
RETURN EXISTS {
  MATCH (c)-[:USES_DEVICE]->(d:Device)<-[:USES_DEVICE]-(o:Customer)
        -[:MEMBER_OF]->(:Segment {segment_id: $segment})
  WHERE o <> c AND COUNT { (d)<-[:USES_DEVICE]-(:Customer) } <= $cap
} AS holds
