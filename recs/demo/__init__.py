"""The synthetic, deterministic demo shop: `generate_demo(con)` fills a warehouse with it.

See docs/demo.md for what it contains, the generative model and the planted A/B lift.
"""

from recs.demo.experiment import (
    ASSIGN_DAYS,
    EXPERIMENT_ID,
    EXPERIMENT_START,
    PLANTED_CONVERSION_LIFT_PP,
    VARIANTS,
    WINDOW_DAYS,
)
from recs.demo.timeline import END, START
from recs.demo.writer import LINES_PER_CUSTOMER, customers_for_lines, generate_demo

__all__ = [
    "ASSIGN_DAYS", "END", "EXPERIMENT_ID", "EXPERIMENT_START", "LINES_PER_CUSTOMER", "PLANTED_CONVERSION_LIFT_PP",
    "START", "VARIANTS", "WINDOW_DAYS", "customers_for_lines", "generate_demo",
]
