-- definition: per customer whose first order ever is in the window: first and second order (by time, ties by order id) and the days between them (fractional; empty without a second order before the window end)
WITH
{{base}},
ranked AS (
    SELECT customer_id, order_id, ordered_at,
           row_number() OVER (PARTITION BY customer_id ORDER BY ordered_at, order_id) AS n
    FROM shop_orders
    WHERE customer_id IS NOT NULL
),
pairs AS (
    SELECT customer_id,
           max(order_id) FILTER (WHERE n = 1)   AS first_order_id,
           max(ordered_at) FILTER (WHERE n = 1) AS first_at,
           max(order_id) FILTER (WHERE n = 2 AND ($end IS NULL OR ordered_at < $end))   AS second_order_id,
           max(ordered_at) FILTER (WHERE n = 2 AND ($end IS NULL OR ordered_at < $end)) AS second_at
    FROM ranked
    WHERE n <= 2
    GROUP BY customer_id
)
SELECT
    customer_id,
    CAST(date_trunc($grain, first_at) AS DATE)                AS cohort,
    first_order_id,
    CAST(first_at AS DATE)                                    AS first_order_at,
    second_order_id,
    CAST(second_at AS DATE)                                   AS second_order_at,
    (epoch(second_at) - epoch(first_at)) / 86400.0            AS days_to_second
FROM pairs
WHERE ($start IS NULL OR first_at >= $start) AND ($end IS NULL OR first_at < $end)
ORDER BY cohort, customer_id
