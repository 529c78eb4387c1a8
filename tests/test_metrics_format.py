"""KPI tiles abbreviate large numbers; the abbreviation must keep the magnitude (973,651 is 973.7k, not 97.4k)."""

import numpy as np
import pytest

from recs.metrics.charts import compact, histogram_bins


@pytest.mark.parametrize(
    ("value", "text"),
    [(950, "950"), (9_999, "9,999"), (45_678, "45.7k"), (973_651.76, "973.7k"), (12_345_678, "12.3M"),
     (-45_678, "-45.7k"), (2_500_000_000, "2.5B"), (float("nan"), "–")],
)
def test_compact_keeps_magnitude(value, text):
    assert compact(value) == text


def test_histogram_bins_hand_case():
    counts, edges = histogram_bins(np.array([0, 0.5, 1, 59.9, 60, np.nan]))
    assert edges[0] == 0 and edges[1] - edges[0] == 1 and len(counts) == 61
    assert counts[0] == 2 and counts[1] == 1 and counts[59] == 1 and counts[60] == 1 and counts.sum() == 5


@pytest.mark.parametrize("scale", [0.37, 12.0, 800.0])
def test_histogram_bins_agree_with_numpy_and_use_a_round_width(scale):
    values = np.random.default_rng(7).exponential(scale, 300_000)
    counts, edges = histogram_bins(values)
    width = edges[1] - edges[0]
    assert 30 <= len(counts) <= 61
    mantissa = width / 10 ** np.floor(np.log10(width))
    assert min(abs(mantissa - m) for m in (1, 2, 5, 10)) < 1e-9
    assert list(counts) == list(np.histogram(values, bins=edges)[0])
    assert edges[-1] > values.max() and edges[0] <= values.min()


def test_histogram_bins_empty():
    counts, edges = histogram_bins(np.array([]))
    assert len(counts) == 0 and len(edges) == 1
