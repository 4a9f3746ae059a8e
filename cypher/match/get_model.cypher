// name: match.get_model
// returns: version, text (the model file), summary; no row when the version is unknown.
MATCH (m:MatchModel {version: $version})
RETURN m.version AS version, m.text AS text, m.summary AS summary
