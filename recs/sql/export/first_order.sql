-- The time of the first valid line of a known customer (to say which cutoff would work). No parameters.
SELECT min(ordered_at) FROM valid_lines WHERE customer_id IS NOT NULL
