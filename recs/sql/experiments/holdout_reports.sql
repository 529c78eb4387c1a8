-- The reports (JSON) of recorded holdout exports, newest first: they hold each experiment's planned split.
SELECT report FROM imports WHERE kind = 'assignments' AND format = 'holdout' ORDER BY id DESC
