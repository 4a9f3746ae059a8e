// name: match.put_model
// returns: version. Stores a trained model (its whole file as text, and its summary) as a
// MatchModel node, one per version (a second put of a version replaces its text).
MERGE (m:MatchModel {version: $version})
SET m.text = $text, m.summary = $summary, m.trained_at = $trained_at, m.stored_at = $now
RETURN m.version AS version
