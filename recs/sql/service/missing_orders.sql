-- How many order ids of the frame registered on this cursor as `spool_order_ids` (order_id) are not in the
-- warehouse's order_lines (spool compaction removes a file only when this is 0). No parameters.
SELECT count(*) FROM spool_order_ids s WHERE NOT EXISTS (SELECT 1 FROM order_lines o WHERE o.order_id = s.order_id)
