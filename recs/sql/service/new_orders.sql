-- How many distinct orders one import wrote to order_lines. Parameters (in order): the import id.
SELECT count(DISTINCT order_id) FROM order_lines WHERE import_id = ?
