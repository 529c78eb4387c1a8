-- Per known customer as of $cutoff (TIMESTAMP; orders strictly before it): purchases counted once per day, as the
-- BG/NBD paper does, with the recency/frequency/monetary figures and the gaps and recent counts the learned model
-- reads. Days are whole days before the cutoff's day. Parameters: $cutoff.
WITH days AS (
    SELECT customer_id, CAST(ordered_at AS DATE) AS day, round(sum(revenue), 6) AS revenue, count(*) AS orders
    FROM orders
    WHERE customer_id IS NOT NULL AND ordered_at < $cutoff
    GROUP BY customer_id, CAST(ordered_at AS DATE)
), numbered AS (
    SELECT *, day - lag(day) OVER (PARTITION BY customer_id ORDER BY day) AS gap,
           CAST($cutoff AS DATE) - day AS age
    FROM days
)
SELECT customer_id,
       count(*) AS purchase_days,
       sum(orders) AS orders,
       min(age) AS recency_days,
       max(age) AS age_days,
       round(sum(revenue), 6) AS revenue,
       arg_min(revenue, day) AS first_revenue,
       coalesce(round(avg(gap), 9), 0) AS gap_mean,
       coalesce(round(stddev_pop(gap), 9), 0) AS gap_std,
       coalesce(median(gap), 0) AS gap_median,
       coalesce(arg_max(gap, day), 0) AS last_gap,
       count(*) FILTER (WHERE age <= 30) AS days_30,
       count(*) FILTER (WHERE age <= 90) AS days_90,
       count(*) FILTER (WHERE age <= 180) AS days_180,
       count(*) FILTER (WHERE age <= 365) AS days_365,
       coalesce(round(sum(revenue) FILTER (WHERE age <= 180), 6), 0) AS revenue_180
FROM numbered
GROUP BY customer_id
ORDER BY customer_id
