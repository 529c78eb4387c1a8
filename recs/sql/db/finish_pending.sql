-- A trivial query whose only job is to finish a result a caller left open on the connection (DuckDB refuses the
-- relational API `con.sql` while one is pending): recs.interactions runs it before reading the events.
SELECT 1
