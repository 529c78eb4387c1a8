-- The format and file name of every import of orders (the demo included), oldest first: where recs.settings
-- guesses the shop's currency from when none is set. No parameters.
SELECT format, file_name FROM imports WHERE kind IN ('orders', 'demo') ORDER BY id
