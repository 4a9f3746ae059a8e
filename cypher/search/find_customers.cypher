// name: search.find_customers
// returns: total (matches after the filters, of at most $cap full-text hits), page:
// [{customer_id, score}] after the cursor ($after_score, $after_id), best first, at most
// $limit; sources and segments: [{value, count}] over every match (facets, top 20).
// $lucene is built by graph.search.lucene; $sources/$segments null or lists;
// $traits: [{name, equals, gte, lte}] (null parts ignored).
CALL db.index.fulltext.queryNodes('customer_search', $lucene, {limit: $cap}) YIELD node AS c, score
WHERE c.merged_into IS NULL
  AND ($sources IS NULL OR EXISTS {
        MATCH (c)<-[:BELONGS_TO]-(r:Record) WHERE r.source IN $sources })
  AND ($segments IS NULL OR EXISTS {
        MATCH (c)-[:MEMBER_OF]->(s:Segment) WHERE s.segment_id IN $segments })
  AND all(t IN $traits WHERE (t.equals IS NULL OR c[t.name] = t.equals)
                         AND (t.gte IS NULL OR c[t.name] >= t.gte)
                         AND (t.lte IS NULL OR c[t.name] <= t.lte))
WITH c, score
ORDER BY score DESC, c.customer_id
WITH collect({c: c, id: c.customer_id, score: score}) AS hits
RETURN size(hits) AS total,
       [h IN hits WHERE $after_id IS NULL OR h.score < $after_score
                        OR (h.score = $after_score AND h.id > $after_id)
        | {customer_id: h.id, score: h.score}][0..$limit] AS page,
       COLLECT {
         UNWIND hits AS h
         WITH h.c AS c
         MATCH (c)<-[:BELONGS_TO]-(r:Record)
         WITH DISTINCT c, r.source AS value
         WITH value, count(*) AS n
         ORDER BY n DESC, value
         LIMIT 20
         RETURN {value: value, count: n}
       } AS sources,
       COLLECT {
         UNWIND hits AS h
         WITH h.c AS c
         MATCH (c)-[:MEMBER_OF]->(s:Segment)
         WITH DISTINCT c, s.segment_id AS value
         WITH value, count(*) AS n
         ORDER BY n DESC, value
         LIMIT 20
         RETURN {value: value, count: n}
       } AS segments
