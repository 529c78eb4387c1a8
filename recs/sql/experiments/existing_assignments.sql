-- An experiment's recorded assignments per customer: a variant and how many distinct variants (k > 1: several).
-- Parameters (in order): the experiment id.
SELECT customer_id, min(variant) AS variant, count(DISTINCT variant) AS k FROM assignments
WHERE experiment_id = ? GROUP BY customer_id
