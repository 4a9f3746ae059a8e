// name: setting.put_setting
// returns: version (the new one). Stores $text as the setting named $name, one version more
// than before; the previous text is kept as a SettingVersion (PREVIOUS) for the audit trail.
MERGE (s:Setting {name: $name})
  ON CREATE SET s.version = 0
WITH s
CALL (s) {
  WITH s
  WHERE s.text IS NOT NULL
  CREATE (s)-[:PREVIOUS]->(:SettingVersion {name: s.name, version: s.version, text: s.text,
                                            updated_at: s.updated_at, actor: s.actor})
}
SET s.version = s.version + 1, s.text = $text, s.updated_at = $now, s.actor = $actor
RETURN s.version AS version
