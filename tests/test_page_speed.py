"""What the pages send to the browser: sections drawn on demand compute only when asked and show the same figures;
histograms are binned on the server (one bar per bin, every value counted)."""

from __future__ import annotations

import base64
import json
import shutil

import numpy as np
import pandas as pd
import pytest

from recs import metrics
from recs.db import connect
from recs.metrics import charts
from tests.conftest import open_page, wait_for_app


def _values(array) -> np.ndarray:
    """A figure array as the browser gets it: a list, or Plotly's typed array {dtype, bdata (base64)}."""
    if isinstance(array, dict):
        return np.frombuffer(base64.b64decode(array["bdata"]), dtype=np.dtype(array["dtype"])).astype(float)
    return np.asarray(array, dtype=float)


_open = open_page


def test_retention_curves_are_drawn_only_when_asked_with_the_same_figures(demo_db, use_db):
    use_db(demo_db)
    at = _open("pages/retention.py")
    plots = at.get("plotly_chart")
    assert len(plots) == 5  # returning, heatmap, LTV, repeat within, time to second: not the curves
    assert not [m for m in at.multiselect if m.key == "ret_cohorts"]
    assert not at.toggle(key="ret_curves_on").value

    at.toggle(key="ret_curves_on").set_value(True).run()
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.get("plotly_chart")) == 6
    chosen = at.multiselect(key="ret_cohorts").value
    assert len(chosen) == 3
    con = connect(demo_db)
    ret = metrics.retention(con, "month", metrics.Filters())
    con.close()
    shown = [json.loads(p.proto.spec) for p in at.get("plotly_chart")]
    curves = next(s for s in shown if s["data"] and all(t.get("mode") == "lines+markers" and "customdata" in t
                                                        and t.get("name", "").count("-") == 1 for t in s["data"]))
    assert len(curves["data"]) == 3
    for trace, cohort in zip(curves["data"], chosen, strict=True):
        part = ret[ret["cohort"] == pd.Timestamp(cohort)].sort_values("period")
        assert trace["name"] == pd.Timestamp(cohort).strftime("%Y-%m")
        assert np.allclose(_values(trace["y"]), part["retention"].to_numpy(dtype=float))


def test_tables_in_expanders_are_not_sent_until_opened(demo_db, use_db):
    use_db(demo_db)
    at = _open("pages/retention.py")
    assert {e.label for e in at.expander} >= {"Table", "Median per cohort"}
    assert len(at.dataframe) == 0  # the three tables wait for their expander; the CSV downloads are there
    assert {b.key for b in at.get("download_button")} >= {"dl-ret-repurchase", "dl-ret-within", "dl-ret-median",
                                                          "dl-ret-tts", "dl-ret-retention"}
    at = _open("pages/overview.py")
    assert [e.label for e in at.expander] == ["Figures as a table"] and len(at.dataframe) == 0


def test_heavy_imports_are_warmed_once_per_process_after_a_page(demo_db, use_db):
    """After a page drew, the modules the model and prediction pages need are imported in the background, once per
    server process; every name in the list is a module (a renamed one would only log a warning)."""
    import importlib.util
    import sys
    import threading

    from pages.parts import frame

    assert all(importlib.util.find_spec(name) is not None for name in frame.WARM_IMPORTS)
    use_db(demo_db)
    _open("pages/data.py")
    assert frame.warm_imports() is None  # the page's run started it already: never twice
    for thread in threading.enumerate():
        if thread.name == "repeat-warm-imports":
            thread.join(timeout=120)
    assert set(frame.WARM_IMPORTS) <= set(sys.modules)


def test_days_histogram_sends_bins_and_counts_every_value():
    rng = np.random.default_rng(7)
    gaps = rng.gamma(2.0, 30.0, size=100_000).round()
    fig = charts.days_histogram(gaps, float(np.median(gaps)), "Days since the previous purchase",
                                unit="repeat purchases", median_text="median", target_bins=40)
    bars = fig.data[0]
    assert len(bars.x) <= 60 and sum(bars.y) == len(gaps)
    assert len(fig.to_json()) < 20_000  # not 100 k values
    weighted = charts.days_histogram(np.array([1.0, 2.0, 40.0]), None, "x", weights=np.array([3.0, 1.0, 2.0]))
    assert sum(weighted.data[0].y) == 6


@pytest.mark.browser
def test_a_table_expander_sends_its_table_when_opened_in_the_browser(demo_db, tmp_path, streamlit_server, chromium):
    path = tmp_path / "shop.duckdb"
    shutil.copy(demo_db, path)
    url = streamlit_server(path)
    page = chromium.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{url}/retention")
    wait_for_app(page)
    assert page.locator('[data-testid="stDataFrame"]').count() == 0
    page.get_by_text("Median per cohort").click()
    page.wait_for_selector('[data-testid="stDataFrame"]', timeout=60_000)
    wait_for_app(page)
    assert page.locator('[data-testid="stDataFrame"]').count() == 1
    assert not page.query_selector_all('[data-testid="stException"]')
    page.close()
