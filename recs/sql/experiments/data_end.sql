-- The data's end for an experiment: the latest order time (NULL without orders). No parameters.
SELECT max(ordered_at) FROM orders
