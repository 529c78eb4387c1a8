-- definition: per first-order cohort and overall (cohort empty): customers, customers with a second order, and the median days from first to second order among them
WITH
{{base}},
ranked AS (
    SELECT customer_id, ordered_at,
           row_number() OVER (PARTITION BY customer_id ORDER BY ordered_at, order_id) AS n
    FROM shop_orders
    WHERE customer_id IS NOT NULL
),
pairs AS (
    SELECT customer_id,
           max(ordered_at) FILTER (WHERE n = 1) AS first_at,
           max(ordered_at) FILTER (WHERE n = 2 AND ($end IS NULL OR ordered_at < $end)) AS second_at
    FROM ranked
    WHERE n <= 2
    GROUP BY customer_id
),
members AS (
    SELECT date_trunc($grain, first_at) AS cohort, (epoch(second_at) - epoch(first_at)) / 86400.0 AS days
    FROM pairs
    WHERE ($start IS NULL OR first_at >= $start) AND ($end IS NULL OR first_at < $end)
)
SELECT
    CAST(cohort AS DATE)          AS cohort,
    count(*)                      AS customers,
    count(days)                   AS with_second,
    median(days)                  AS median_days
FROM members
GROUP BY GROUPING SETS ((cohort), ())
ORDER BY cohort NULLS LAST
