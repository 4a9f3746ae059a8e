// name: bloom.why_same_customer
// phrase: why are $a and $b the same customer
// param: $a String Identifier value
// param: $b String Identifier value
// returns: p (a path), c (the customer): for $a and $b each an identifier (its value, any
// case, or its key such as email:kim@example.com) or a record id, the shortest chain of
// records and the identifiers they share (or model links) that joins them, over records of
// one live customer only; no row when they are not one customer. A Bloom search phrase.
CALL () {
  MATCH (n:Identifier) WHERE n.key = $a OR n.value IN [$a, toLower(trim($a))]
  RETURN n
  UNION
  MATCH (n:Record {record_id: $a})
  RETURN n
}
WITH collect(n) AS starts
CALL () {
  MATCH (n:Identifier) WHERE n.key = $b OR n.value IN [$b, toLower(trim($b))]
  RETURN n
  UNION
  MATCH (n:Record {record_id: $b})
  RETURN n
}
WITH starts, collect(n) AS ends
UNWIND starts AS a
UNWIND ends AS b
MATCH (a)-[:HAS_IDENTIFIER*0..1]-(:Record)-[:BELONGS_TO]->(c:Customer)
      <-[:BELONGS_TO]-(:Record)-[:HAS_IDENTIFIER*0..1]-(b)
WHERE a <> b AND c.merged_into IS NULL
WITH DISTINCT a, b, c
MATCH p = shortestPath((a)-[:HAS_IDENTIFIER|MATCHES*..12]-(b))
WHERE all(n IN nodes(p) WHERE NOT n:Record OR EXISTS { (n)-[:BELONGS_TO]->(c) })
RETURN p, c
