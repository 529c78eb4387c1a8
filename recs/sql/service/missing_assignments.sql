-- How many (experiment_id, customer_id) of the frame registered on this cursor as `spool_assigned` are not in the
-- warehouse's assignments (spool compaction removes a file only when this is 0). No parameters.
SELECT count(*) FROM spool_assigned s
WHERE NOT EXISTS (SELECT 1 FROM assignments a WHERE a.experiment_id = s.experiment_id AND a.customer_id = s.customer_id)
