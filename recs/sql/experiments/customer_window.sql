-- One row per customer assigned in experiment $exp: their variant (the first by name when they are in several:
-- n_variants and variants say so), assigned_at (the first), whether the window assigned_at + $w days lies inside
-- the data (complete), orders and revenue in the window, revenue in the $pre days before assignment (CUPED's
-- covariate) and their history before assignment. Guests never count; customers without orders get zeros.
-- Parameters: $exp (VARCHAR), $w, $pre (whole days).
WITH a AS (
    SELECT customer_id,
           min(variant)            AS variant,
           count(DISTINCT variant) AS n_variants,
           array_to_string(list_sort(list(DISTINCT variant)), ', ') AS variants,
           min(assigned_at)        AS assigned_at
    FROM assignments
    WHERE experiment_id = $exp
    GROUP BY customer_id
),
bounds AS (SELECT max(ordered_at) AS data_end FROM orders),
c AS (
    SELECT a.*, coalesce(a.assigned_at + to_days(CAST($w AS INTEGER)) <= b.data_end, false) AS complete
    FROM a CROSS JOIN bounds b
),
per_customer AS (       -- grouped by customer id alone (cheaper than by every column of c), then joined back
    SELECT a.customer_id,
           count(*) FILTER (WHERE o.ordered_at >= a.assigned_at
                              AND o.ordered_at < a.assigned_at + to_days(CAST($w AS INTEGER)))           AS orders,
           sum(o.revenue) FILTER (WHERE o.ordered_at >= a.assigned_at
                                    AND o.ordered_at < a.assigned_at + to_days(CAST($w AS INTEGER)))     AS revenue,
           sum(o.revenue) FILTER (WHERE o.ordered_at >= a.assigned_at - to_days(CAST($pre AS INTEGER))
                                    AND o.ordered_at < a.assigned_at)                                    AS pre_revenue,
           count(*) FILTER (WHERE o.ordered_at < a.assigned_at)                                          AS orders_before,
           sum(o.revenue) FILTER (WHERE o.ordered_at < a.assigned_at)                                    AS revenue_before,
           max(o.ordered_at) FILTER (WHERE o.ordered_at < a.assigned_at)                                 AS last_order_before
    FROM a JOIN orders o ON o.customer_id = a.customer_id
    GROUP BY a.customer_id
)
SELECT
    c.customer_id, c.variant, c.n_variants, c.variants, c.assigned_at, c.complete,
    coalesce(p.orders, 0) AS orders, coalesce(p.revenue, 0) AS revenue, coalesce(p.pre_revenue, 0) AS pre_revenue,
    coalesce(p.orders_before, 0) AS orders_before, coalesce(p.revenue_before, 0) AS revenue_before,
    p.last_order_before
FROM c LEFT JOIN per_customer p ON p.customer_id = c.customer_id
ORDER BY c.customer_id
