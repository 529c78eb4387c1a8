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
    SELECT cohort,
           CASE WHEN $grain = 'month' THEN date_diff('month', cohort, period_start)
                ELSE date_diff('week', cohort, period_start) END AS period,   -- units are keywords in Spark SQL
           count(*) AS customers, CAST(sum(CAST(revenue AS DECIMAL(38, 6))) AS DOUBLE) AS revenue
    FROM activity
    GROUP BY ALL
),
cohorts AS (
    SELECT cohort, count(*) AS cohort_size
    FROM cohort_members
    GROUP BY cohort
),
last_periods AS (       -- per cohort, the offset of the period holding the data end
    SELECT c.cohort, c.cohort_size,
           CASE WHEN $grain = 'month' THEN date_diff('month', c.cohort, date_trunc('month', d.end_at))
                ELSE date_diff('week', c.cohort, date_trunc('week', d.end_at)) END AS last_period
    FROM cohorts AS c, data_end AS d
),
grid AS (               -- every offset from 0 to the period holding the data end, so empty cells show as 0
    SELECT cohort, cohort_size, last_period, unnest(generate_series(0, last_period)) AS period
    FROM last_periods
)
SELECT
    CAST(g.cohort AS DATE)                                       AS cohort,
    CAST(g.period AS INTEGER)                                    AS period,
    g.cohort_size,
    coalesce(x.customers, 0)                                     AS customers,
    coalesce(x.customers, 0) / g.cohort_size                     AS retention,
    coalesce(x.revenue, 0)                                       AS revenue,
    coalesce(x.revenue, 0) / x0.revenue                          AS revenue_retention,
    -- complete: the whole period cohort+k lies before the data end, i.e. the period holding the data end is later
    g.period < g.last_period                                     AS complete
FROM grid AS g
LEFT JOIN cells AS x ON x.cohort = g.cohort AND x.period = g.period
LEFT JOIN cells AS x0 ON x0.cohort = g.cohort AND x0.period = 0
ORDER BY cohort, period
