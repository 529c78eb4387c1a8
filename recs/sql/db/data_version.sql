-- The id of the last import of any kind (0 if none): the cache key of the Experiments page.
SELECT coalesce(max(id), 0) FROM imports
