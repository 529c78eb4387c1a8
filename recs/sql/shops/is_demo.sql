-- 1 when the shop was written by the demo generator (its `imports` row of kind 'demo' is the marker), else 0.
SELECT count(*) > 0 FROM imports WHERE kind = 'demo'
