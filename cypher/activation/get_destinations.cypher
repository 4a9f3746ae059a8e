// name: activation.get_destinations
// returns: destinations (one row: a list of the Destinations' properties, the secret only
// when $with_secret (for signing; never for display), for the ids of $ids, or every one when
// $ids is null, by name).
MATCH (d:Destination)
WHERE $ids IS NULL OR d.destination_id IN $ids
WITH d ORDER BY d.name, d.destination_id
RETURN collect(CASE WHEN $with_secret THEN d {.*} ELSE d {.*, secret: null} END)
       AS destinations
