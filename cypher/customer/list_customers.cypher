// name: customer.list_customers
// returns: ids (one row: up to $limit live customer ids in id order after $after, matching
// the filter) and total (how many live customers match it). Filter parameters, each null for
// no condition: $source (a record of the customer comes from it), $updated_since and
// $updated_before (updated_at in [since, before)), $identifier_type (it holds an identifier
// of that type), $trait and $trait_value (the computed trait property equals the value;
// $trait alone: the trait is set).
CALL () {
  MATCH (c:Customer)
  WHERE c.merged_into IS NULL AND c.customer_id > $after
    AND ($updated_since IS NULL OR c.updated_at >= $updated_since)
    AND ($updated_before IS NULL OR c.updated_at < $updated_before)
    AND ($trait IS NULL OR ($trait_value IS NULL AND c[$trait] IS NOT NULL)
         OR c[$trait] = $trait_value)
    AND ($source IS NULL OR EXISTS { (c)<-[:BELONGS_TO]-(:Record {source: $source}) })
    AND ($identifier_type IS NULL
         OR EXISTS { (c)<-[:BELONGS_TO]-(:Record)-[:HAS_IDENTIFIER]->(:Identifier {type: $identifier_type}) })
  WITH c ORDER BY c.customer_id LIMIT $limit
  RETURN collect(c.customer_id) AS ids
}
CALL () {
  MATCH (c:Customer)
  WHERE c.merged_into IS NULL
    AND ($updated_since IS NULL OR c.updated_at >= $updated_since)
    AND ($updated_before IS NULL OR c.updated_at < $updated_before)
    AND ($trait IS NULL OR ($trait_value IS NULL AND c[$trait] IS NOT NULL)
         OR c[$trait] = $trait_value)
    AND ($source IS NULL OR EXISTS { (c)<-[:BELONGS_TO]-(:Record {source: $source}) })
    AND ($identifier_type IS NULL
         OR EXISTS { (c)<-[:BELONGS_TO]-(:Record)-[:HAS_IDENTIFIER]->(:Identifier {type: $identifier_type}) })
  RETURN count(c) AS total
}
RETURN ids, total
