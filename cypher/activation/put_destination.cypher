// name: activation.put_destination
// returns: destination (one row: the Destination's properties, its secret left out). Creates
// the destination $destination_id: $name, $kind (webhook, kafka or file), $config (JSON text:
// url, topic or directory and format), $secret (webhook HMAC key; stored, never returned),
// $purpose (the consent purpose it serves), $hash_identifiers, $rate_limit (requests a second),
// $max_attempts.
MERGE (d:Destination {destination_id: $destination_id})
  ON CREATE SET d.created_at = $now
SET d.name = $name, d.kind = $kind, d.config = $config, d.secret = $secret,
    d.purpose = $purpose, d.hash_identifiers = $hash_identifiers, d.rate_limit = $rate_limit,
    d.max_attempts = $max_attempts, d.updated_at = $now
RETURN d {.*, secret: null} AS destination
