-- The id of a new `imports` row: the sequence's next value, but never one already used. No parameters.
SELECT greatest(nextval('import_id_seq'), (SELECT coalesce(max(id), 0) + 1 FROM imports))
