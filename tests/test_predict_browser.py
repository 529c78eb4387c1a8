"""Predict -> the win-back audience -> a campaign CSV with a holdout -> the experiment on the Experiments page, in the
real app (streamlit run) driven by headless Chromium."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import wait_for_app

pytestmark = pytest.mark.browser

HEADER = "customer_id,rank,product_id,score,product_name,reason"
WIN_BACK = "win-back: high value at risk"


def _settle(page, text: str | None = None, timeout_ms: int = 240_000) -> None:
    """Wait for `text` (the result of the last action), then for the script run to finish; no exception shown."""
    if text is not None:
        page.get_by_text(text).first.wait_for(timeout=timeout_ms)
    wait_for_app(page, timeout_ms)
    errors = [e.inner_text() for e in page.query_selector_all('[data-testid="stException"]')]
    assert not errors, errors


def _nav(page, title: str) -> None:
    page.locator('[data-testid="stSidebarNav"] a').filter(has_text=title).first.click()


def test_predict_then_win_back_campaign_with_holdout_then_experiment(demo_db: Path, tmp_path: Path,
                                                                     streamlit_server, chromium):
    shop = shutil.copy(demo_db, tmp_path / "shop.duckdb")
    url = streamlit_server(Path(shop))
    context = chromium.new_context(accept_downloads=True, viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(f"{url}/predict")
    _settle(page, "Top customers at risk")
    main = page.inner_text('[data-testid="stMain"]')
    assert "Expected orders" in main and WIN_BACK in main
    assert page.locator('[data-testid="stPlotlyChart"]').count() >= 2

    _nav(page, "Recommendations")
    _settle(page, "No model chosen yet")
    page.get_by_role("button", name="Train", exact=True).click()
    _settle(page, "stored it next to the database")
    page.get_by_role("tab", name="Export").click()
    page.locator('[data-testid="stSelectbox"]').filter(has_text="Customers").first.click()
    page.get_by_role("option", name=WIN_BACK).click()
    page.locator('[data-testid="stNumberInput"]').filter(has_text="Hold out").locator("input").fill("0.2")
    page.locator('[data-testid="stTextInput"]').filter(has_text="Experiment id").locator("input").fill("winback-test")
    page.get_by_role("button", name="Build campaign list").click()
    _settle(page, "held out as control in experiment")
    with page.expect_download() as info:
        page.get_by_role("button", name="Download campaign list").click()
    lines = Path(info.value.path()).read_text(encoding="utf-8").splitlines()
    assert lines[0] == HEADER and len(lines) > 10

    _nav(page, "Experiments")
    _settle(page, "Sample ratio check")  # the page has drawn its default experiment
    page.locator('[data-testid="stMain"] [data-testid="stSelectbox"]').filter(has_text="Experiment").first.click()
    page.get_by_role("option", name="winback-test").click()  # the campaign's holdout is listed as an experiment
    _settle(page, "'winback-test'")  # its analysis: the windows are still open, and the page says so by name
    context.close()
