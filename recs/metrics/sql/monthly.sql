-- definition: per calendar month (or ISO week) of the order time: orders and gross revenue (guest orders included)
WITH
{{base}}
SELECT CAST(date_trunc($grain, ordered_at) AS DATE) AS period, count(*) AS orders, sum(revenue) AS revenue
FROM window_orders
GROUP BY ALL
ORDER BY period
