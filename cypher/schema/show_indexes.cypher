// name: schema.show_indexes
// returns: name, type, labels, properties, state (one row per index in the database)
SHOW INDEXES YIELD name, type, labelsOrTypes AS labels, properties, state
RETURN name, type, labels, properties, state
