-- Rows of one warehouse table (recs.db.table_counts); the table name is one of the words below.
-- allow table: order_lines orders products assignments imports
SELECT count(*) FROM {{table}}
