-- Orders and revenue of experiment $exp's customers per (customer, whole day since assignment) inside the window
-- of $w days after assignment, for the cumulative curves. Parameters: $exp, $w.
WITH a AS (
    SELECT customer_id, min(assigned_at) AS assigned_at
    FROM assignments WHERE experiment_id = $exp GROUP BY customer_id
)
SELECT a.customer_id,
       CAST(floor(epoch(o.ordered_at - a.assigned_at) / 86400) AS INTEGER) AS day,
       count(*)       AS orders,
       sum(o.revenue) AS revenue
FROM a JOIN orders o ON o.customer_id = a.customer_id
WHERE o.ordered_at >= a.assigned_at AND o.ordered_at < a.assigned_at + to_days(CAST($w AS INTEGER))
GROUP BY ALL
ORDER BY 1, 2
