-- Per customer who bought in [$cutoff, $end): the distinct products bought before $cutoff (their history).
-- Parameters: $cutoff, $end (TIMESTAMP).
WITH {{real_lines}}
SELECT customer_id, list(DISTINCT product_id)
FROM real_lines
WHERE ordered_at < $cutoff
  AND customer_id IN (SELECT customer_id FROM real_lines WHERE ordered_at >= $cutoff AND ordered_at < $end)
GROUP BY customer_id
