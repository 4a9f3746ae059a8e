// name: graph.count_nodes
// returns: nodes (how many nodes the database holds; 0 for an empty graph).
MATCH (n) RETURN count(n) AS nodes
