-- Every customer's variant of a holdout export, from the frame registered on this cursor as `holdout_rows`
-- (experiment_id, customer_id, variant, assigned_at). Parameters (in order): the import id.
INSERT INTO assignments (experiment_id, customer_id, variant, assigned_at, import_id)
SELECT experiment_id, customer_id, variant, assigned_at, ? FROM holdout_rows
