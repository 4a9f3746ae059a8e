// name: graph.clear_graph
// returns: deleted. Deletes every node (with its relationships) of the label $label, or every
// node of the graph when $label is null, $batch nodes per transaction (an auto-commit query:
// CALL IN TRANSACTIONS). Constraints and indexes stay.
MATCH (n)
WHERE $label IS NULL OR $label IN labels(n)
CALL (n) {
  DETACH DELETE n
} IN TRANSACTIONS OF $batch ROWS
RETURN count(*) AS deleted
