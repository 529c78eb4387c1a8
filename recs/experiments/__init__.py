"""A/B experiments: per-customer window metrics, honest statistics, the per-experiment table, holdouts.

Modules: data (SQL), stats (tests and intervals), analyze (the table), segments, holdout, verdict, charts.
See docs/experiments.md.
"""
