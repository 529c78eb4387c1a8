-- definition: the histogram of time_to_second: new customers (first order in the window) with a second order before the window end, by whole days from first to second order (floor)
WITH
{{base}}
SELECT
    CAST(floor((epoch(second_at) - epoch(first_at)) / 86400.0) AS INTEGER) AS days,
    count(*)                                                               AS customers
FROM first_two
WHERE second_at IS NOT NULL
  AND ($start IS NULL OR first_at >= $start) AND ($end IS NULL OR first_at < $end)
GROUP BY 1
ORDER BY 1
