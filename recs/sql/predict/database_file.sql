-- The file of the database this connection works on (NULL for an in-memory one): where its stored predictions
-- lie (the win-back audience reads the stored forecast). No parameters.
SELECT path FROM duckdb_databases() WHERE database_name = current_database()
