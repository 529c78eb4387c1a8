"""KPI tiles abbreviate large numbers; the abbreviation must keep the magnitude (973,651 is 973.7k, not 97.4k)."""

import pytest

from recs.metrics.charts import compact


@pytest.mark.parametrize(
    ("value", "text"),
    [(950, "950"), (9_999, "9,999"), (45_678, "45.7k"), (973_651.76, "973.7k"), (12_345_678, "12.3M"),
     (-45_678, "-45.7k"), (2_500_000_000, "2.5B"), (float("nan"), "–")],
)
def test_compact_keeps_magnitude(value, text):
    assert compact(value) == text
