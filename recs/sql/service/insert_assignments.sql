-- Variants assigned by the service, from the frame registered on this cursor as `spool_assignments`
-- (experiment_id, customer_id, variant, assigned_at), skipping customers already assigned in that experiment.
-- Parameters (in order): the import id.
INSERT INTO assignments (experiment_id, customer_id, variant, assigned_at, import_id)
SELECT s.experiment_id, s.customer_id, s.variant, s.assigned_at, ?
FROM spool_assignments s
WHERE NOT EXISTS (SELECT 1 FROM assignments a
                  WHERE a.experiment_id = s.experiment_id AND a.customer_id = s.customer_id)
