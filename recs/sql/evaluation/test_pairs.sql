-- Per test customer (bought before $cutoff and in [$cutoff, $end)): the distinct products bought in the window.
-- Parameters: $cutoff, $end (TIMESTAMP).
WITH {{real_lines}}
SELECT customer_id, list(DISTINCT product_id)
FROM real_lines
WHERE ordered_at >= $cutoff AND ordered_at < $end
  AND customer_id IN (SELECT customer_id FROM real_lines WHERE ordered_at < $cutoff)
GROUP BY customer_id
