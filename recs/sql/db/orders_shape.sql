-- What `orders` is in this file: its table type (BASE TABLE or VIEW, NULL when missing) and its column names in
-- order, so recs.db.init_schema can upgrade a database written by an earlier version. No parameters.
SELECT any_value(table_type), list(column_name ORDER BY ordinal_position)
FROM information_schema.columns JOIN information_schema.tables USING (table_name)
WHERE table_name = 'orders'
