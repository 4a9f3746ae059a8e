// name: setting.get_setting
// returns: text, version, updated_at, actor of the setting named $name (no row: not set).
MATCH (s:Setting {name: $name})
RETURN s.text AS text, s.version AS version, s.updated_at AS updated_at, s.actor AS actor
