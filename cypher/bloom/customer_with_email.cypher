// name: bloom.customer_with_email
// phrase: customer with email $email
// param: $email String Identifier value
// returns: p (paths): the live customer holding the email identifier (case and spaces
// ignored), through the records that state it. A Bloom search phrase (graph/bloom.py).
MATCH p = (i:Identifier {key: 'email:' + toLower(trim($email))})<-[:HAS_IDENTIFIER]-(:Record)
          -[:BELONGS_TO]->(c:Customer)
WHERE c.merged_into IS NULL
RETURN p
