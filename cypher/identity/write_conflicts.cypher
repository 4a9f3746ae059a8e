// name: identity.write_conflicts
// returns: nothing. $conflicts: links the identity rules refused (a per-type limit, a degree
// cap ...), each a Conflict ABOUT its identifier (or, for a model link "model:<record id>",
// ABOUT the candidate Record) involving the customers kept apart; $flags:
// identifiers marked blocked (a junk value) or over_degree (shared by too many customers).
CALL () {
  UNWIND $conflicts AS x
  MERGE (k:Conflict {conflict_id: x.conflict_id})
    ON CREATE SET k.at = $now, k.reason = x.reason, k.record_id = x.record_id,
                  k.identifier = x.identifier
  WITH k, x
  CALL (k, x) {
    MATCH (i:Identifier {key: x.identifier})
    MERGE (k)-[:ABOUT]->(i)
  }
  CALL (k, x) {
    WITH k, x
    WHERE x.identifier STARTS WITH 'model:'
    MATCH (s:Record {record_id: substring(x.identifier, 6)})
    MERGE (k)-[:ABOUT]->(s)
  }
  WITH k, x
  UNWIND x.customers AS customer_id
  MATCH (c:Customer {customer_id: customer_id})
  MERGE (k)-[:INVOLVES]->(c)
}
CALL () {
  UNWIND $flags AS f
  MATCH (i:Identifier {key: f.key})
  SET i.blocked = f.blocked, i.over_degree = f.over_degree
}
