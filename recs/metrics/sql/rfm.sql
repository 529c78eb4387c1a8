-- metric rfm: its definition, output columns and parameters are in rfm.toml beside this file
WITH
{{base}},
per_customer AS (
    SELECT customer_id, max(ordered_at) AS last_at, count(*) AS frequency,
           CAST(sum(CAST(revenue AS DECIMAL(38, 6))) AS DOUBLE) AS monetary
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
n AS (SELECT count(*) AS n FROM measured),
r_ranks AS (            -- rank() over recency, longest ago first, once per distinct value: 1 + customers before it
    SELECT recency_days, sum(count(*)) OVER (ORDER BY recency_days DESC) - count(*) + 1 AS r_rank
    FROM measured
    GROUP BY recency_days
),
f_ranks AS (            -- rank() over frequency, the same way (few distinct values: no sort of every customer)
    SELECT frequency, sum(count(*)) OVER (ORDER BY frequency) - count(*) + 1 AS f_rank
    FROM measured
    GROUP BY frequency
),
scored AS (             -- score = 1 + floor(5 * (rank - 1) / n), rank = 1-based min rank (ties share it)
    SELECT m.*,
        1 + floor(5 * (r.r_rank - 1) / n.n)                                  AS r_score,
        1 + floor(5 * (f.f_rank - 1) / n.n)                                  AS f_score,
        1 + floor(5 * (rank() OVER (ORDER BY m.monetary_key) - 1) / n.n)     AS m_score
    FROM measured AS m
    JOIN r_ranks AS r USING (recency_days)
    JOIN f_ranks AS f USING (frequency)
    CROSS JOIN n
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
