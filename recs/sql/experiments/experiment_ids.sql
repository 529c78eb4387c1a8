-- Every experiment id in `assignments`, sorted. No parameters.
SELECT DISTINCT experiment_id FROM assignments ORDER BY 1
