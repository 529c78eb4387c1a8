-- Customers with a real purchase before the cutoff (the train side of the temporal split). Parameters: $cutoff.
WITH {{real_lines}}
SELECT count(DISTINCT customer_id) FROM real_lines WHERE ordered_at < $cutoff
