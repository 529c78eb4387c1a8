-- metric retention: its definition, output columns and parameters are in retention.toml beside this file
WITH
{{base}},
cohort_members AS (     -- customers whose first order ever falls inside the window
    SELECT customer_id, date_trunc($grain, first_at) AS cohort
    FROM customer_firsts
    WHERE ($start IS NULL OR first_at >= $start) AND ($end IS NULL OR first_at < $end)
),
activity AS (           -- per customer and period: revenue of their orders in the window
    SELECT m.cohort, o.customer_id, date_trunc($grain, o.ordered_at) AS period_start, CAST(sum(CAST(o.revenue AS DECIMAL(38, 6))) AS DOUBLE) AS revenue
    FROM window_orders AS o
    JOIN cohort_members AS m USING (customer_id)
    GROUP BY ALL
),
cells AS (
    SELECT cohort, date_diff($grain, cohort, period_start) AS period,
           count(*) AS customers, CAST(sum(CAST(revenue AS DECIMAL(38, 6))) AS DOUBLE) AS revenue
    FROM activity
    GROUP BY ALL
),
cohorts AS (
    SELECT cohort, count(*) AS cohort_size
    FROM cohort_members
    GROUP BY cohort
),
grid AS (               -- every offset from 0 to the period holding the data end, so empty cells show as 0
    SELECT c.cohort, c.cohort_size,
           unnest(generate_series(0, date_diff($grain, c.cohort, date_trunc($grain, d.end_at)))) AS period
    FROM cohorts AS c, data_end AS d
)
SELECT
    CAST(g.cohort AS DATE)                                       AS cohort,
    CAST(g.period AS INTEGER)                                    AS period,
    g.cohort_size,
    coalesce(x.customers, 0)                                     AS customers,
    coalesce(x.customers, 0) / g.cohort_size                     AS retention,
    coalesce(x.revenue, 0)                                       AS revenue,
    coalesce(x.revenue, 0) / x0.revenue                          AS revenue_retention,
    -- complete: the whole period cohort+k lies before the data end
    (CASE WHEN $grain = 'month' THEN g.cohort + to_months(CAST(g.period + 1 AS INTEGER))
          ELSE g.cohort + to_days(CAST(7 * (g.period + 1) AS INTEGER)) END) <= d.end_at AS complete
FROM grid AS g
LEFT JOIN cells AS x ON x.cohort = g.cohort AND x.period = g.period
LEFT JOIN cells AS x0 ON x0.cohort = g.cohort AND x0.period = 0
CROSS JOIN data_end AS d
ORDER BY cohort, period
