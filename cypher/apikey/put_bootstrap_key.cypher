// name: apikey.put_bootstrap_key
// returns: name, revoked of the bootstrap key with $key_hash (from GRAPHCDP_ADMIN_KEY), made
// now as $name with $role unless it exists. A revoked one stays revoked; a changed setting
// adds a key and leaves the old one to `graphcdp apikey revoke` (API processes sharing the
// graph with different settings never take each other's key away).
MERGE (k:ApiKey {key_hash: $key_hash})
  ON CREATE SET k.name = $name, k.role = $role, k.created_at = $now, k.revoked = false,
                k.bootstrap = true
RETURN k.name AS name, k.revoked AS revoked
