-- metric time_to_second_days: its definition, output columns and parameters are in time_to_second_days.toml beside this file
WITH
{{base}}
SELECT
    CAST(floor(date_diff('microsecond', first_at, second_at) / 86400e6) AS INTEGER) AS days,
    count(*)                                                               AS customers
FROM first_two
WHERE second_at IS NOT NULL
  AND ($start IS NULL OR first_at >= $start) AND ($end IS NULL OR first_at < $end)
GROUP BY 1
ORDER BY 1
