"""SQLite storage: the schema, one writer thread with group commit, and the queries."""
