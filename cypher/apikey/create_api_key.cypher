// name: apikey.create_api_key
// returns: name, role, created_at of the new key. Only the SHA-256 of the secret is stored;
// a name or hash already taken fails on the uniqueness constraints (ConstraintError).
CREATE (k:ApiKey {name: $name, role: $role, key_hash: $key_hash, created_at: $now,
                  revoked: false, bootstrap: false})
RETURN k.name AS name, k.role AS role, k.created_at AS created_at
