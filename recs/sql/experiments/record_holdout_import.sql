-- The `imports` row of a holdout export (kind 'assignments', format 'holdout'); its report records the planned
-- split. Parameters (in order): id, file name, sha256, rows read, rows kept, started_at, finished_at, report.
INSERT INTO imports (id, kind, file_name, sha256, format, rows_read, rows_kept, rows_rejected,
                     started_at, finished_at, report)
VALUES (?, 'assignments', ?, ?, 'holdout', ?, ?, 0, ?, ?, ?)
