// name: graph.expand_nodes
// returns: nodes, relationships (one row): one hop around the nodes of $ids (element ids):
// for each, at most $cap of its relationships whose type is not in $skip, and the nodes at
// their other ends, as {id, labels, properties} and {id, type, start, end, properties}
// (ids are element ids). The cap keeps a hub (a segment of 100,000 members, a customer with
// years of events) from pulling the whole graph into an export.
UNWIND $ids AS id
MATCH (n)
WHERE elementId(n) = id
CALL (n) {
  MATCH (n)-[r]-(m)
  WHERE NOT type(r) IN $skip
  RETURN r, m
  LIMIT $cap
}
RETURN collect(DISTINCT {id: elementId(m), labels: labels(m), properties: properties(m)})
         AS nodes,
       collect(DISTINCT {id: elementId(r), type: type(r), start: elementId(startNode(r)),
                         end: elementId(endNode(r)), properties: properties(r)})
         AS relationships
