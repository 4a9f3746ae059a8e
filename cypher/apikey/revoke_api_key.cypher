// name: apikey.revoke_api_key
// returns: name of the key revoked (no row: no key $name). Revoking twice keeps the first time.
MATCH (k:ApiKey {name: $name})
SET k.revoked = true, k.revoked_at = coalesce(k.revoked_at, $now)
RETURN k.name AS name
