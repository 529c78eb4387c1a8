-- metric monthly: its definition, output columns and parameters are in monthly.toml beside this file
WITH
{{base}}
SELECT CAST(date_trunc($grain, ordered_at) AS DATE) AS period, count(*) AS orders,
       CAST(sum(CAST(revenue AS DECIMAL(38, 6))) AS DOUBLE) AS revenue
FROM window_orders
GROUP BY ALL
ORDER BY period
