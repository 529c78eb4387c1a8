-- Per known customer, what happened in [$start, $end) (TIMESTAMPs): purchase days (orders counted once per day,
-- as the models count them) and revenue. Customers without an order in the window are absent. Parameters: $start,
-- $end.
SELECT customer_id, count(DISTINCT CAST(ordered_at AS DATE)) AS purchase_days,
       round(sum(revenue), 6) AS revenue
FROM orders
WHERE customer_id IS NOT NULL AND ordered_at >= $start AND ordered_at < $end
GROUP BY customer_id
ORDER BY customer_id
