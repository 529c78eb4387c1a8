-- The id of the last import that changed orders or products (0 if none; holdout assignments do not count): the
-- cache key of order metrics and trained models.
SELECT coalesce(max(id), 0) FROM imports WHERE kind <> 'assignments'
