// name: search.read_documents
// returns: customer_id (each of $ids), doc: the live customer's search document
// {customer_id, display_name, first_name, last_name, email, phone, updated_at,
// sources: [record source], segments: [segment_id], traits: [[name, value]] of the names in
// $traits}, or null when the id is merged away or gone (its document is deleted).
UNWIND $ids AS id
OPTIONAL MATCH (c:Customer {customer_id: id})
WHERE c.merged_into IS NULL
RETURN id AS customer_id,
       CASE WHEN c IS NULL THEN null ELSE c {
         .customer_id, .display_name, .first_name, .last_name, .email, .phone, .updated_at,
         sources: COLLECT { MATCH (c)<-[:BELONGS_TO]-(r:Record) RETURN DISTINCT r.source },
         segments: COLLECT { MATCH (c)-[:MEMBER_OF]->(s:Segment) RETURN DISTINCT s.segment_id },
         traits: [t IN $traits WHERE c[t] IS NOT NULL | [t, c[t]]]
       } END AS doc
