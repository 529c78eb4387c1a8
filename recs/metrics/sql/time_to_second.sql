-- metric time_to_second: its definition, output columns and parameters are in time_to_second.toml beside this file
WITH
{{base}}
SELECT
    customer_id,
    CAST(date_trunc($grain, first_at) AS DATE)                AS cohort,
    first_order_id,
    CAST(first_at AS DATE)                                    AS first_order_at,
    second_order_id,
    CAST(second_at AS DATE)                                   AS second_order_at,
    date_diff('microsecond', first_at, second_at) / 86400e6            AS days_to_second
FROM first_two
WHERE ($start IS NULL OR first_at >= $start) AND ($end IS NULL OR first_at < $end)
ORDER BY cohort, customer_id
