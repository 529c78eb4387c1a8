-- metric summary: its definition, output columns and parameters are in summary.toml beside this file
WITH
{{base}},
per_customer AS (
    SELECT customer_id, count(*) AS n_orders, CAST(sum(CAST(revenue AS DECIMAL(38, 6))) AS DOUBLE) AS revenue
    FROM window_orders
    WHERE customer_id IS NOT NULL
    GROUP BY customer_id
),
removed AS (            -- cancelled and returned lines in the window: value = abs(quantity * unit_price)
    SELECT coalesce(CAST(sum(CAST(abs(l.quantity * l.unit_price) AS DECIMAL(38, 6))) AS DOUBLE), 0) AS value
    FROM order_lines AS l
    WHERE l.status IN ('cancelled', 'returned')
      AND ($country IS NULL OR l.country = $country)
      AND ($category IS NULL OR l.product_id IN (SELECT p.product_id FROM products AS p WHERE p.category = $category))
      AND ($start IS NULL OR l.ordered_at >= $start) AND ($end IS NULL OR l.ordered_at < $end)
),
o AS (
    SELECT count(*) AS orders, coalesce(CAST(sum(CAST(revenue AS DECIMAL(38, 6))) AS DOUBLE), 0) AS revenue,
           min(ordered_at) AS first_at, max(ordered_at) AS last_at
    FROM window_orders
),
c AS (
    SELECT count(*) AS customers, count(*) FILTER (WHERE n_orders >= 2) AS repeat_customers,
           coalesce(CAST(sum(CAST(revenue AS DECIMAL(38, 6))) AS DOUBLE), 0) AS customer_revenue
    FROM per_customer
)
SELECT
    o.orders,
    c.customers,
    c.repeat_customers,
    c.repeat_customers / nullif(c.customers, 0)           AS repurchase_rate,
    o.revenue,
    o.revenue - removed.value                             AS net_revenue,
    o.revenue / nullif(o.orders, 0)                       AS aov,
    c.customer_revenue / nullif(c.customers, 0)           AS revenue_per_customer,
    CAST(o.first_at AS DATE)                              AS first_order_at,
    CAST(o.last_at AS DATE)                               AS last_order_at
FROM o, c, removed
