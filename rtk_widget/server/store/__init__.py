"""SQLite storage: the schema, one writing connection with group commit, and the queries."""
