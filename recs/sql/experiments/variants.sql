-- The variants of one experiment, sorted. Parameters (in order): the experiment id.
SELECT DISTINCT variant FROM assignments WHERE experiment_id = ? ORDER BY 1
