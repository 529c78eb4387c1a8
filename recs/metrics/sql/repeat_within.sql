-- metric repeat_within: its definition, output columns and parameters are in repeat_within.toml beside this file
WITH
{{base}},
members AS (
    SELECT customer_id, date_trunc($grain, first_at) AS cohort, first_at,
           date_diff('microsecond', first_at, second_at) / 86400e6 AS days_to_second
    FROM first_two
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
    date_diff('microsecond', max(m.first_at), first(d.end_at)) >= CAST(round(h.days * 86400e6) AS BIGINT)
                                                                            AS complete
FROM members AS m
CROSS JOIN horizons AS h
CROSS JOIN data_end AS d
GROUP BY m.cohort, h.days
ORDER BY cohort, days
