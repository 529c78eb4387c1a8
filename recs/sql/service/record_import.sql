-- The `imports` row of a spool import: kind 'orders' (format 'spool') for posted orders, or kind 'assignments'
-- with format 'holdout' for an experiment's served variants (its report records the planned split, which the
-- Experiments page's SRM check reads as for holdout exports).
-- Parameters (in order): id, kind, file name, sha256, format, rows read, rows kept, started_at, finished_at, report.
INSERT INTO imports (id, kind, file_name, sha256, format, rows_read, rows_kept, rows_rejected,
                     started_at, finished_at, report)
VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?)
