-- Order lines posted to the service, from the frame registered on this cursor as `spool_lines` (order_id, line_no,
-- customer_id, ordered_at, product_id, quantity, unit_price, country), skipping orders already in the warehouse.
-- Parameters (in order): the import id.
INSERT INTO order_lines (order_id, line_no, customer_id, ordered_at, product_id, quantity, unit_price, status,
                         country, import_id)
SELECT s.order_id, s.line_no, s.customer_id, s.ordered_at, s.product_id, s.quantity, s.unit_price, 'completed',
       s.country, ?
FROM spool_lines s
WHERE NOT EXISTS (SELECT 1 FROM order_lines o WHERE o.order_id = s.order_id)
