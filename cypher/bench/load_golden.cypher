// name: bench.load_golden
// returns: loaded (the number of rows). The segment benchmark's golden attributes
// (bench/segments.py): each row of $rows [{customer_id, props}] sets those properties on the
// customer, as survivorship would.
UNWIND $rows AS row
MATCH (c:Customer {customer_id: row.customer_id})
SET c += row.props
RETURN count(*) AS loaded
