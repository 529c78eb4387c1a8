-- metric repurchase: its definition, output columns and parameters are in repurchase.toml beside this file
WITH
{{base}},
active AS (
    SELECT DISTINCT o.customer_id, date_trunc($grain, o.ordered_at) AS period_start, f.first_at
    FROM window_orders AS o
    JOIN customer_firsts AS f USING (customer_id)
),
per_period AS (
    SELECT
        period_start,
        count(*)                                                            AS customers,
        count(*) FILTER (WHERE first_at >= period_start)                    AS new_customers,
        count(*) FILTER (WHERE first_at < period_start)                     AS returning_customers
    FROM active
    GROUP BY period_start
),
periods AS (            -- a period nobody ordered in is listed with zeros, so a chart shows the dip
    SELECT unnest(generate_series(min(period_start), max(period_start), CAST('1 ' || $grain AS INTERVAL))) AS period_start
    FROM active
)
SELECT
    CAST(p.period_start AS DATE)                                            AS period,
    coalesce(c.customers, 0)                                                AS customers,
    coalesce(c.new_customers, 0)                                            AS new_customers,
    coalesce(c.returning_customers, 0)                                      AS returning_customers,
    c.returning_customers / nullif(c.customers, 0)                          AS returning_rate
FROM periods AS p
LEFT JOIN per_period AS c USING (period_start)
ORDER BY period
