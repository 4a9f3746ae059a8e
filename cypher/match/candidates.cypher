// name: match.candidates
// returns: record_id, candidate (a record sharing a blocking key, not detached), golden (its
// stated attributes, JSON), customer_id (its live customer); at most $per_record candidates
// per row of $rows [{record_id, bk_email, bk_phone, bk_last_dob, bk_names, bk_post_last,
// bk_first_dob, bk_post_dob, bk_addr_city, bk_first_post, bk_dob_city, bk_addr_dob, bk_names_swapped}]
// (null keys find nothing; bk_names_swapped is the row's names swapped, sought in bk_names).
// Each branch is one index seek on a Record property.
UNWIND $rows AS row
CALL (row) {
  CALL (row) {
    MATCH (s:Record {bk_email: row.bk_email}) RETURN s
    UNION
    MATCH (s:Record {bk_phone: row.bk_phone}) RETURN s
    UNION
    MATCH (s:Record {bk_last_dob: row.bk_last_dob}) RETURN s
    UNION
    MATCH (s:Record {bk_names: row.bk_names}) RETURN s
    UNION
    MATCH (s:Record {bk_post_last: row.bk_post_last}) RETURN s
    UNION
    MATCH (s:Record {bk_first_dob: row.bk_first_dob}) RETURN s
    UNION
    MATCH (s:Record {bk_post_dob: row.bk_post_dob}) RETURN s
    UNION
    MATCH (s:Record {bk_addr_city: row.bk_addr_city}) RETURN s
    UNION
    MATCH (s:Record {bk_first_post: row.bk_first_post}) RETURN s
    UNION
    MATCH (s:Record {bk_dob_city: row.bk_dob_city}) RETURN s
    UNION
    MATCH (s:Record {bk_addr_dob: row.bk_addr_dob}) RETURN s
    UNION
    MATCH (s:Record {bk_names: row.bk_names_swapped}) RETURN s
  }
  WITH s
  WHERE s.record_id <> row.record_id AND NOT coalesce(s.detached, false)
  RETURN s
  ORDER BY s.record_id
  LIMIT $per_record
}
MATCH (s)-[:BELONGS_TO]->(c:Customer)
RETURN row.record_id AS record_id, s.record_id AS candidate, s.golden AS golden,
       c.customer_id AS customer_id
