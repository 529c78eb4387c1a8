-- An earlier version's `orders` table with other columns, dropped before it is created again (recs.db.init_schema).
DROP TABLE orders
