-- Valid lines of known customers before the cutoff (all when NULL). Parameters (in order): the cutoff twice.
SELECT count(*) FROM valid_lines
WHERE customer_id IS NOT NULL AND (CAST(? AS TIMESTAMP) IS NULL OR ordered_at < ?)
