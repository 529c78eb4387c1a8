-- definition: per calendar month or ISO week: customers who ordered, new (first order ever in the period), returning (first order ever before the period), returning_rate = returning / customers
WITH
{{base}},
active AS (
    SELECT DISTINCT o.customer_id, date_trunc($grain, o.ordered_at) AS period_start, f.first_at
    FROM window_orders AS o
    JOIN customer_firsts AS f USING (customer_id)
)
SELECT
    CAST(period_start AS DATE)                                              AS period,
    count(*)                                                                AS customers,
    count(*) FILTER (WHERE first_at >= period_start)                        AS new_customers,
    count(*) FILTER (WHERE first_at < period_start)                         AS returning_customers,
    count(*) FILTER (WHERE first_at < period_start) / count(*)              AS returning_rate
FROM active
GROUP BY period_start
ORDER BY period
