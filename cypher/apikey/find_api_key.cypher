// name: apikey.find_api_key
// returns: name, role, revoked of the key whose secret hashes to $key_hash (no row: unknown).
MATCH (k:ApiKey {key_hash: $key_hash})
RETURN k.name AS name, k.role AS role, k.revoked AS revoked
