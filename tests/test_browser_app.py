"""The real app in headless Chromium: every page from the sidebar, login, concurrent sessions, CLI beside the app.

A deep link opened first on a fresh server: tests/test_browser_deep_links.py.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, wait_for_app

pytestmark = pytest.mark.browser

PAGE_TITLES = ["Overview", "Retention", "Customers", "Predict", "Recommendations", "Customer", "Product", "Experiments",
               "Data", "Settings"]


@pytest.fixture
def demo_copy(demo_db: Path, tmp_path: Path) -> Path:
    """A private copy of the demo shop: the app process opens it for writing."""
    path = tmp_path / "shop.duckdb"
    shutil.copy(demo_db, path)
    return path


def _exceptions(page) -> list[str]:
    return [e.inner_text() for e in page.query_selector_all('[data-testid="stException"]')]


def test_every_page_opens_from_the_sidebar(demo_copy, streamlit_server, chromium):
    url = streamlit_server(demo_copy)
    page = chromium.new_page()
    page.goto(url)
    wait_for_app(page)
    assert "Repurchase rate" in page.inner_text('[data-testid="stMain"]')
    for title in PAGE_TITLES:
        page.locator('[data-testid="stSidebarNav"] a').filter(has_text=title).first.click()
        wait_for_app(page)
        assert not _exceptions(page), f"{title}: {_exceptions(page)}"
        assert page.inner_text('[data-testid="stMain"]').strip(), f"{title} is blank"
    page.close()


def test_two_sessions_on_different_pages_both_render(demo_copy, streamlit_server, chromium):
    url = streamlit_server(demo_copy)
    first, second = chromium.new_page(), chromium.new_page()
    first.goto(f"{url}/retention")
    second.goto(f"{url}/customers")
    wait_for_app(first)
    wait_for_app(second)
    for page in (first, second):
        assert not _exceptions(page)
        assert page.query_selector('[data-testid="stPlotlyChart"]') is not None
        page.close()


def test_password_gate(demo_copy, streamlit_server, chromium):
    url = streamlit_server(demo_copy, extra_env={"REPEAT_PASSWORD": "correct horse"})
    page = chromium.new_page()
    page.goto(url)
    wait_for_app(page)
    main = page.inner_text('[data-testid="stMain"]')
    assert "Enter the password" in main and "Repurchase rate" not in main
    page.locator('input[type="password"]').fill("wrong guess")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_selector("text=Wrong password.", timeout=30_000)
    wait_for_app(page)
    assert "Repurchase rate" not in page.inner_text('[data-testid="stMain"]')
    page.locator('input[type="password"]').fill("correct horse")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_selector("text=Repurchase rate", timeout=30_000)
    wait_for_app(page)
    assert not _exceptions(page)
    page.close()


def test_non_local_address_without_login_shows_no_data(demo_copy, streamlit_server, chromium):
    url = streamlit_server(demo_copy, host="0.0.0.0")
    page = chromium.new_page()
    page.goto(url)
    wait_for_app(page)
    main = page.inner_text('[data-testid="stMain"]')
    assert "refuses to serve order data" in main
    assert "Repurchase rate" not in main
    page.close()


def test_cli_import_while_app_holds_the_database(demo_copy, streamlit_server, chromium, tmp_path):
    url = streamlit_server(demo_copy)
    page = chromium.new_page()
    page.goto(url)
    wait_for_app(page)  # the app has now opened the file
    orders = tmp_path / "more.csv"
    orders.write_text("order_id,customer_id,ordered_at,product_id,quantity,unit_price\nX1,C1,2025-01-02 10:00:00,P1,1,2.5\n")
    result = subprocess.run([sys.executable, "-m", "recs", "import", "--db", str(demo_copy), "--orders", str(orders)],
                            cwd=REPO, capture_output=True, text=True, timeout=120)
    assert "Traceback" not in result.stderr
    if result.returncode != 0:
        assert result.returncode == 2 and "database busy" in result.stderr
    page.reload()
    wait_for_app(page)
    assert not _exceptions(page)
    assert "Repurchase rate" in page.inner_text('[data-testid="stMain"]')
    page.close()
