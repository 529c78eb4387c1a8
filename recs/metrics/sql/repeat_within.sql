-- definition: per first-order cohort: share of the cohort's customers whose second order (by time, ties by order id) came at most N days (fractional) after the first; complete when the cohort's latest first order + N days <= data end
WITH
{{base}},
ranked AS (             -- every order of the sub-shop, numbered per customer by time then order id
    SELECT customer_id, order_id, ordered_at,
           row_number() OVER (PARTITION BY customer_id ORDER BY ordered_at, order_id) AS n
    FROM shop_orders
    WHERE customer_id IS NOT NULL
),
pairs AS (              -- first and second order; the second only counts when it falls before the window end
    SELECT customer_id,
           max(ordered_at) FILTER (WHERE n = 1) AS first_at,
           max(ordered_at) FILTER (WHERE n = 2 AND ($end IS NULL OR ordered_at < $end)) AS second_at
    FROM ranked
    WHERE n <= 2
    GROUP BY customer_id
),
members AS (
    SELECT customer_id, date_trunc($grain, first_at) AS cohort, first_at,
           (epoch(second_at) - epoch(first_at)) / 86400.0 AS days_to_second
    FROM pairs
    WHERE ($start IS NULL OR first_at >= $start) AND ($end IS NULL OR first_at < $end)
),
horizons AS (
    SELECT unnest(CAST($days AS DOUBLE[])) AS days
)
SELECT
    CAST(m.cohort AS DATE)                                                  AS cohort,
    h.days                                                                  AS days,
    count(*)                                                                AS customers,
    count(*) FILTER (WHERE m.days_to_second <= h.days) / count(*)           AS within,
    max(m.first_at) + to_microseconds(CAST(round(h.days * 86400e6) AS BIGINT)) <= first(d.end_at) AS complete
FROM members AS m
CROSS JOIN horizons AS h
CROSS JOIN data_end AS d
GROUP BY m.cohort, h.days
ORDER BY cohort, days
