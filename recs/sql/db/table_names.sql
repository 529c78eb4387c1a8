-- The names of the tables and views in the file (recs.db.has_schema, table_counts). No parameters.
SELECT table_name FROM information_schema.tables
