-- definition: per customer with an order in the window: recency (days from the last order's date to the as-of date), frequency (orders), monetary (revenue), quintile scores 1-5 (ties share a score) and a named segment
WITH
{{base}},
per_customer AS (
    SELECT customer_id, max(ordered_at) AS last_at, count(*) AS frequency, sum(revenue) AS monetary
    FROM window_orders
    WHERE customer_id IS NOT NULL
    GROUP BY customer_id
),
as_of AS (              -- the chosen date, or the date of the data end
    SELECT coalesce(CAST($as_of AS DATE), CAST(end_at AS DATE)) AS day FROM data_end
),
measured AS (
    SELECT c.customer_id, date_diff('day', CAST(c.last_at AS DATE), a.day) AS recency_days,
           c.frequency, c.monetary, round(c.monetary, 4) AS monetary_key
    FROM per_customer AS c, as_of AS a
),
scored AS (             -- score = 1 + floor(5 * (rank - 1) / n), rank = 1-based min rank (ties share it)
    SELECT *,
        1 + floor(5 * (rank() OVER (ORDER BY recency_days DESC) - 1) / count(*) OVER ()) AS r_score,
        1 + floor(5 * (rank() OVER (ORDER BY frequency) - 1) / count(*) OVER ())        AS f_score,
        1 + floor(5 * (rank() OVER (ORDER BY monetary_key) - 1) / count(*) OVER ())     AS m_score
    FROM measured
)
SELECT
    customer_id,
    CAST(recency_days AS INTEGER) AS recency_days,
    CAST(frequency AS INTEGER)    AS frequency,
    monetary,
    CAST(r_score AS INTEGER)      AS r_score,
    CAST(f_score AS INTEGER)      AS f_score,
    CAST(m_score AS INTEGER)      AS m_score,
    CASE   -- first matching rule wins; see docs/metrics.md for the grid
        WHEN r_score >= 4 AND f_score >= 4 THEN 'Champions'
        WHEN r_score = 3 AND f_score >= 3 THEN 'Loyal'
        WHEN r_score >= 3 AND f_score IN (2, 3) THEN 'Potential loyalists'
        WHEN r_score >= 4 AND f_score = 1 THEN 'New'
        WHEN r_score <= 2 AND f_score = 5 THEN 'Can''t lose them'
        WHEN r_score <= 2 AND f_score IN (3, 4) THEN 'At risk'
        WHEN r_score IN (2, 3) AND f_score <= 2 THEN 'Hibernating'
        ELSE 'Lost'
    END AS segment
FROM scored
ORDER BY customer_id
