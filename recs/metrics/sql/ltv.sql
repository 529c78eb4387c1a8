-- metric ltv: its definition, output columns and parameters are in ltv.toml beside this file
WITH
{{base}},
cohort_members AS (     -- customers whose first order ever falls inside the window
    SELECT customer_id, date_trunc($grain, first_at) AS cohort
    FROM customer_firsts
    WHERE ($start IS NULL OR first_at >= $start) AND ($end IS NULL OR first_at < $end)
),
cells AS (              -- per cohort and period since it: revenue of the cohort's orders in the window
    SELECT m.cohort,
           CASE WHEN $grain = 'month' THEN date_diff('month', m.cohort, date_trunc('month', o.ordered_at))
                ELSE date_diff('week', m.cohort, date_trunc('week', o.ordered_at)) END AS period,
           sum(CAST(o.revenue AS DECIMAL(38, 6))) AS revenue
    FROM window_orders AS o
    JOIN cohort_members AS m USING (customer_id)
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
grid AS (               -- every offset from 0 to the period holding the data end, so months without orders show
    SELECT cohort, cohort_size, last_period, unnest(generate_series(0, last_period)) AS period
    FROM last_periods
),
running AS (
    SELECT g.cohort, g.period, g.cohort_size, g.last_period,
           coalesce(x.revenue, 0) AS revenue,
           sum(coalesce(x.revenue, 0)) OVER (PARTITION BY g.cohort ORDER BY g.period
                                             ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS cumulative
    FROM grid AS g
    LEFT JOIN cells AS x ON x.cohort = g.cohort AND x.period = g.period
)
SELECT
    CAST(cohort AS DATE)                       AS cohort,
    CAST(period AS INTEGER)                    AS period,
    cohort_size,
    CAST(revenue AS DOUBLE)                    AS revenue,
    CAST(cumulative AS DOUBLE)                 AS cumulative_revenue,
    CAST(cumulative AS DOUBLE) / cohort_size   AS ltv,
    period < last_period                       AS complete
FROM running
ORDER BY cohort, period
