-- What the data looked like when a model was trained: valid lines and the last valid order time (a stored model
-- is stale when these change). No parameters.
SELECT count(*) AS valid_lines, max(ordered_at) AS max_ordered_at FROM valid_lines
