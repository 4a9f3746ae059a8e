// name: schema.show_constraints
// returns: name, labels, properties, type (one row per constraint in the database)
SHOW CONSTRAINTS YIELD name, labelsOrTypes AS labels, properties, type
RETURN name, labels, properties, type
