// name: apikey.list_api_keys
// returns: name, role, created_at, revoked, revoked_at, bootstrap of every key, by name.
MATCH (k:ApiKey)
RETURN k.name AS name, k.role AS role, k.created_at AS created_at, k.revoked AS revoked,
       k.revoked_at AS revoked_at, coalesce(k.bootstrap, false) AS bootstrap
ORDER BY name
