// name: match.list_models
// returns: version, trained_at, stored_at, summary of every stored model, newest first.
MATCH (m:MatchModel)
RETURN m.version AS version, m.trained_at AS trained_at, m.stored_at AS stored_at,
       m.summary AS summary
ORDER BY m.stored_at DESC
