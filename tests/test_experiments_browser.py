"""The Experiments page in headless Chromium against `streamlit run` on a copy of the demo shop."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import wait_for_app

pytestmark = pytest.mark.browser


def test_experiments_deep_link_shows_verdict_plots_and_downloads(demo_db: Path, tmp_path: Path, streamlit_server,
                                                                 chromium):
    path = tmp_path / "shop.duckdb"
    shutil.copy(demo_db, path)
    url = streamlit_server(path)
    page = chromium.new_page()
    page.goto(f"{url}/experiments")
    wait_for_app(page)
    assert not page.query_selector_all('[data-testid="stException"]')
    main = page.inner_text('[data-testid="stMain"]')
    assert "revenue per customer" in main and "95% CI" in main
    assert "the split looks healthy" in main
    assert len(page.query_selector_all('[data-testid="stPlotlyChart"]')) >= 2
    downloads = len(page.query_selector_all('[data-testid="stDownloadButton"]'))
    assert downloads >= 3
    page.get_by_text("Show lift by RFM segment").click()  # the exploratory table is off by default
    wait_for_app(page)
    assert not page.query_selector_all('[data-testid="stException"]')
    assert len(page.query_selector_all('[data-testid="stDownloadButton"]')) == downloads + 1
    page.close()
