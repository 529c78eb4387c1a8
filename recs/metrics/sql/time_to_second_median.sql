-- metric time_to_second_median: its definition, output columns and parameters are in time_to_second_median.toml beside this file
WITH
{{base}},
members AS (
    SELECT date_trunc($grain, first_at) AS cohort, date_diff('microsecond', first_at, second_at) / 86400e6 AS days
    FROM first_two
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
