// name: graph.customer_node
// returns: node (one row, or none): the live Customer of $customer_id (a merged id is followed
// to its survivor) as {id: its element id, labels, properties}; where graph exports start.
MATCH (c0:Customer {customer_id: $customer_id})
OPTIONAL MATCH (live:Customer {customer_id: c0.merged_into})
WITH coalesce(live, c0) AS c
RETURN {id: elementId(c), labels: labels(c), properties: properties(c)} AS node
