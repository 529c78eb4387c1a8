"""Retention page in headless Chromium: change the grain and the date range and see the cohort heatmap redraw."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from recs.db import connect
from tests.conftest import REPO, wait_for_app

pytestmark = pytest.mark.browser

HEATMAP = ".st-key-retention_heatmap .js-plotly-plot"


@pytest.fixture
def shop(demo_db: Path, tmp_path: Path) -> Path:
    path = tmp_path / "shop.duckdb"
    shutil.copy(demo_db, path)
    return path


def _cohort_labels(page) -> list[str]:
    page.wait_for_selector(HEATMAP, timeout=60_000)
    return page.evaluate(f"() => Array.from(document.querySelector('{HEATMAP}').data[0].y)")


def test_per_customer_time_to_second_and_retention_downloads_are_the_cli_csvs(shop, streamlit_server,
                                                                                    chromium, tmp_path):
    first, last = _date_range(shop)  # the CLI first: the app's server then holds the file
    cli = subprocess.run([sys.executable, "-m", "recs", "metrics", "time_to_second", "--db", str(shop), "--start",
                          first, "--end", last, "--out", "-"], capture_output=True, text=True, cwd=REPO, check=True)
    cli_retention = subprocess.run([sys.executable, "-m", "recs", "metrics", "retention", "--db", str(shop),
                                    "--start", first, "--end", last, "--out", str(tmp_path / "retention.csv")],
                                   capture_output=True, text=True, cwd=REPO, check=True)
    assert cli_retention.returncode == 0
    url = streamlit_server(shop)
    context = chromium.new_context(accept_downloads=True, viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(f"{url}/retention")
    wait_for_app(page)
    hist = ".st-key-time_to_second_hist .js-plotly-plot"
    page.wait_for_selector(hist, timeout=60_000)
    bars = page.evaluate(f"() => Array.from(document.querySelector('{hist}').data[0].y)")
    with page.expect_download() as info:
        page.get_by_role("button", name="Download per-customer CSV").click()
    download = info.value
    assert download.suggested_filename == "time_to_second.csv"
    got = Path(download.path()).read_text(encoding="utf-8")
    with page.expect_download() as info:  # the cohort grid, with the column that says which cells can still grow
        page.locator(".st-key-dl-ret-retention").get_by_role("button", name="Download CSV").click()
    retention = Path(info.value.path()).read_bytes()
    context.close()
    assert retention == (tmp_path / "retention.csv").read_bytes()
    assert retention.split(b"\n", 1)[0].endswith(b",complete")
    assert got == cli.stdout
    rows = list(csv.DictReader(io.StringIO(got)))
    assert sum(bars) == sum(1 for r in rows if r["days_to_second"] != "") > 1000


def _date_range(path: Path) -> tuple[str, str]:
    """The page's default window: the first order's day to the day after the last (the CLI's --end is exclusive)."""
    con = connect(path)
    try:
        first, last = con.execute("SELECT min(ordered_at)::DATE, max(ordered_at)::DATE + 1 FROM orders").fetchone()
    finally:
        con.close()
    return str(first), str(last)


def test_grain_and_date_range_redraw_the_heatmap(shop, streamlit_server, chromium, tmp_path):
    url = streamlit_server(shop)
    page = chromium.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{url}/retention")
    wait_for_app(page)
    monthly = _cohort_labels(page)
    assert monthly[0].startswith("2024-01 (n=") and len(monthly) == 24  # two years of monthly cohorts

    page.locator('[data-testid="stRadio"]').filter(has_text="Grain").get_by_text("ISO week").click()
    page.wait_for_function(f"() => document.querySelector('{HEATMAP}').data[0].y.length > 50", timeout=60_000)
    wait_for_app(page)
    weekly = _cohort_labels(page)
    assert len(weekly) > 100 and weekly[0].startswith("2024-01-01 (n=")  # 2024-01-01 is a Monday

    label = "Orders from – to (both days included)"
    for part, which, value in [("year", "start", "2025"), ("month", "end", "03")]:  # 2025-01-01 .. 2025-03-31
        page.get_by_role("spinbutton", name=f"{part}, {label} {which} date").click()
        page.keyboard.type(value)
    page.keyboard.press("Escape")
    page.get_by_role("heading", name="Retention", exact=True).click()  # leaving the field commits the range
    wait_for_app(page)
    page.wait_for_function(f"() => document.querySelector('{HEATMAP}').data[0].y.length < 20", timeout=60_000)
    windowed = _cohort_labels(page)
    assert windowed[0].startswith("2024-12-30 (n=") or windowed[0].startswith("2025-")
    assert all(label[:4] == "2025" or label.startswith("2024-12-30") for label in windowed)
    assert not page.query_selector_all('[data-testid="stException"]')
    page.screenshot(path=str(tmp_path / "retention.png"), full_page=True)
    page.close()
