-- An earlier version's `orders` view, dropped before the table is created (recs.db.init_schema).
DROP VIEW orders
