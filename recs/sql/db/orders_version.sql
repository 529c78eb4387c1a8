-- The id of the last import that changed orders or products (0 if none; holdout assignments and the deletion of
-- an assignments import do not count; the deletion of orders does): the cache key of order metrics and trained
-- models.
SELECT coalesce(max(id), 0) FROM imports WHERE kind <> 'assignments' AND NOT (kind = 'deletion' AND format = 'assignments')
