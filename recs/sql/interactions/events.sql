-- The purchases every recommender learns from, in one statement so everything comes from one snapshot of the
-- warehouse (a concurrent import cannot shift the numbering between two reads). The valid lines are aggregated to
-- one row per (customer, product, order) -- the order's first line for that product -- with the customer's row
-- (rank of the id) and the product's column (rank among real products); ids become these integer ranks before
-- grouping, so the hash table holds two integers and the order id. Result rows, sorted by kind:
--   kind 0: a purchase (row, col, id = order id, ordered_at), sorted so every (customer, product) cell is one run;
--   kind 1: a customer (row, id = customer id, ordered_at = their last line's time);
--   kind 2: a real product (col, id = product id).
-- Parameters (in order): the cutoff four times (TIMESTAMP or NULL = all lines).
WITH c AS (
    SELECT v.customer_id, max(v.ordered_at) AS last_at, row_number() OVER (ORDER BY v.customer_id) - 1 AS "row"
    FROM valid_lines v JOIN products p ON p.product_id = v.product_id
    WHERE p.is_product AND v.customer_id IS NOT NULL AND (CAST(? AS TIMESTAMP) IS NULL OR v.ordered_at < ?)
    GROUP BY v.customer_id
), p AS (
    SELECT product_id, row_number() OVER (ORDER BY product_id) - 1 AS col FROM products WHERE is_product
), e AS (
    SELECT c."row", p.col, v.order_id, min(v.ordered_at) AS ordered_at
    FROM valid_lines v JOIN c ON c.customer_id = v.customer_id JOIN p ON p.product_id = v.product_id
    WHERE CAST(? AS TIMESTAMP) IS NULL OR v.ordered_at < ?
    GROUP BY c."row", p.col, v.order_id
)
SELECT 0 AS kind, "row", col, order_id AS id, ordered_at FROM e
UNION ALL SELECT 1, "row", NULL, customer_id, last_at FROM c
UNION ALL SELECT 2, NULL, col, product_id, NULL FROM p
ORDER BY kind, "row", col, ordered_at, id
