"""Managers' metrics: repurchase, returning customers, cohort retention, repeat within N days,
time to second order and RFM segments. Each figure is one SQL file in `recs/metrics/sql/` run through
`loader.run` with bound parameters, plus a metadata file beside it (`<name>.toml`: the one-line definition,
each column's label, unit and description, the parameters), read by `definition(name)`. `csv_bytes(name, frame)`
is the CSV of a figure for both the pages and the CLI. See docs/metrics.md for every definition, its SQL and a
worked example.
"""

from recs.metrics.filters import DEFAULT_DAYS, GRAINS, Filters, check_grain, days_label, parse_date, parse_days
from recs.metrics.loader import load_sql, metric_names
from recs.metrics.meta import Column, MetricDefinition, definition, definition_names
from recs.metrics.queries import (
    REPURCHASE_COLUMNS,
    RETENTION_COLUMNS,
    RFM_COLUMNS,
    SEGMENTS,
    SUMMARY_COLUMNS,
    TIME_TO_SECOND_COLUMNS,
    categories,
    countries,
    date_range,
    monthly,
    repeat_within,
    repeat_within_long,
    repurchase,
    retention,
    rfm,
    rfm_segments,
    segment_names,
    segment_summary,
    summary,
    summary_previous,
    time_to_second,
    time_to_second_days,
    time_to_second_median,
)
from recs.metrics.tables import csv_bytes, export_frame

__all__ = [
    "DEFAULT_DAYS", "GRAINS", "Filters", "check_grain", "days_label", "parse_date", "parse_days",
    "Column", "MetricDefinition", "definition", "definition_names", "csv_bytes", "export_frame", "load_sql",
    "metric_names",
    "REPURCHASE_COLUMNS", "RETENTION_COLUMNS", "RFM_COLUMNS", "SEGMENTS", "SUMMARY_COLUMNS", "TIME_TO_SECOND_COLUMNS",
    "categories", "countries", "date_range", "monthly", "repeat_within", "repeat_within_long", "repurchase",
    "retention", "rfm", "rfm_segments", "segment_names", "segment_summary", "summary", "summary_previous",
    "time_to_second", "time_to_second_days", "time_to_second_median",
]
