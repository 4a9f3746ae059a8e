// name: apikey.put_bootstrap_key
// returns: name. The API's bootstrap key ($name, from a setting) holds $key_hash and $role
// from now on: a changed setting replaces the old secret, and a revoked one is live again.
MERGE (k:ApiKey {name: $name})
  ON CREATE SET k.created_at = $now
SET k.key_hash = $key_hash, k.role = $role, k.revoked = false, k.bootstrap = true
RETURN k.name AS name
