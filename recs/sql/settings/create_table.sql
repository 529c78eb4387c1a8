-- The shop's own settings (recs.settings): one row per setting name, its value as text (NULL: cleared on purpose).
-- Created on the first save, idempotently; a database without it uses the defaults. No parameters.
CREATE TABLE IF NOT EXISTS shop_settings (
    name       VARCHAR PRIMARY KEY,
    value      VARCHAR,
    updated_at TIMESTAMP NOT NULL
)
