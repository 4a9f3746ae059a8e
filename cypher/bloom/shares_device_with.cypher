// name: bloom.shares_device_with
// phrase: who shares a device with $email
// param: $email String Identifier value
// returns: p (paths): customer -USES_DEVICE-> device <-USES_DEVICE- other customer, for the
// live customer holding the email; a device of more than 50 customers (a kiosk) relates no
// one, as in related.device_neighbours. A Bloom search phrase (graph/bloom.py).
MATCH (:Identifier {key: 'email:' + toLower(trim($email))})<-[:HAS_IDENTIFIER]-(:Record)
      -[:BELONGS_TO]->(c:Customer)
WHERE c.merged_into IS NULL
WITH DISTINCT c
MATCH p = (c)-[:USES_DEVICE]->(d:Device)<-[:USES_DEVICE]-(o:Customer)
WHERE o <> c AND o.merged_into IS NULL AND COUNT { (d)<-[:USES_DEVICE]-(:Customer) } <= 50
RETURN p
