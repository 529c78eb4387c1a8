-- An earlier version's `product_sales` with other columns, dropped before it is created again (recs.db.init_schema).
DROP TABLE product_sales
