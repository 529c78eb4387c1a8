-- Repeat warehouse schema. Created idempotently by recs.db.init_schema.
-- Money is DOUBLE (GBP or the shop's currency); see docs/data-format.md.

CREATE SEQUENCE IF NOT EXISTS import_id_seq START 1;

CREATE TABLE IF NOT EXISTS imports (
    id            INTEGER PRIMARY KEY,
    kind          VARCHAR NOT NULL,        -- orders | assignments | products | demo
    file_name     VARCHAR NOT NULL,
    sha256        VARCHAR NOT NULL,
    format        VARCHAR NOT NULL,        -- generic | online-retail | demo | csv | parquet | xlsx
    rows_read     BIGINT NOT NULL,
    rows_kept     BIGINT NOT NULL,
    rows_rejected BIGINT NOT NULL,
    started_at    TIMESTAMP NOT NULL,
    finished_at   TIMESTAMP NOT NULL,
    report        VARCHAR                  -- JSON: counts of duplicates, cancellations, guests, non-products
);

CREATE TABLE IF NOT EXISTS order_lines (
    order_id    VARCHAR NOT NULL,
    line_no     INTEGER NOT NULL,
    customer_id VARCHAR,                   -- NULL = guest order
    ordered_at  TIMESTAMP NOT NULL,
    product_id  VARCHAR NOT NULL,
    quantity    DOUBLE NOT NULL,
    unit_price  DOUBLE NOT NULL,
    status      VARCHAR NOT NULL,          -- completed | cancelled | returned
    country     VARCHAR,
    import_id   INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS products (
    product_id VARCHAR PRIMARY KEY,
    name       VARCHAR,
    category   VARCHAR,
    is_product BOOLEAN NOT NULL DEFAULT TRUE,  -- false for postage, fees, discounts, vouchers
    in_stock   BOOLEAN NOT NULL DEFAULT TRUE,
    unit_price DOUBLE                           -- latest valid price seen, for price-range rules
);

CREATE TABLE IF NOT EXISTS assignments (
    experiment_id VARCHAR NOT NULL,
    customer_id   VARCHAR NOT NULL,
    variant       VARCHAR NOT NULL,
    assigned_at   TIMESTAMP NOT NULL,
    import_id     INTEGER
);

-- A valid line is a real sale: positive quantity and price, not cancelled or returned.
CREATE OR REPLACE VIEW valid_lines AS
SELECT *
FROM order_lines
WHERE quantity > 0 AND unit_price > 0 AND status NOT IN ('cancelled', 'returned');

-- One row per order id with at least one valid line.
CREATE OR REPLACE VIEW orders AS
SELECT
    order_id,
    min(customer_id)            AS customer_id,
    min(ordered_at)             AS ordered_at,
    sum(quantity * unit_price)  AS revenue,
    sum(quantity)               AS items,
    count(*)                    AS lines,
    min(country)                AS country
FROM valid_lines
GROUP BY order_id;
