"""Every page's URL opened FIRST on a fresh server (headless Chromium) gets the app's frame, or the login.

A fresh Streamlit process treats `pages/` beside app.py as old-style auto-pages until st.navigation is first
called, and then runs the requested page file alone. Each try here starts a new server per URL (in parallel)
and opens that URL as the server's very first visit, so the page must bring the frame itself
(`pages.parts.frame.enter`). Two tries per URL without a login and one with a password.
"""

from __future__ import annotations

import shutil
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.conftest import wait_for_app

pytestmark = pytest.mark.browser

TITLES = ["Overview", "Retention", "Customers", "Predict", "Recommendations", "Customer", "Product", "Experiments",
          "Data", "Settings"]
FIRST_VISITS = {"": "Overview", "overview": "Overview", "retention": "Retention", "customers": "Customers",
                "predict": "Predict",
                "recommendations": "Recommendations", "customer": "Customer", "product": "Product",
                "experiments": "Experiments", "data": "Data", "settings": "Settings"}
PASSWORD = "correct horse"
TIMEOUT_MS = 180_000  # eleven servers start and render at once on a machine that may be busy


def _fresh_servers(count: int, demo_db: Path, tmp_path: Path, streamlit_server, env: dict[str, str]) -> list[str]:
    """`count` new servers, each on its own copy of the demo shop, started together; their URLs once healthy."""
    urls = []
    for i in range(count):
        shop = shutil.copy(demo_db, tmp_path / f"shop-{i}.duckdb")
        urls.append(streamlit_server(Path(shop), extra_env=env, wait_healthy=False))
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    for url in urls:
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)  # poll the health endpoint until it answers
    return urls


def _open_first(chromium, demo_db, tmp_path, streamlit_server, env) -> list[tuple[str, str, object]]:
    """One fresh server per deep link, every link its server's first visit: (path, page title, browser page)."""
    urls = _fresh_servers(len(FIRST_VISITS), demo_db, tmp_path, streamlit_server, env)
    opened = []
    for url, (path, title) in zip(urls, FIRST_VISITS.items(), strict=True):
        page = chromium.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{url}/{path}", wait_until="commit")
        opened.append((path, title, page))
    return opened


FRAMED = """([title, names]) => {
    const heading = document.querySelector('[data-testid="stMain"] h1');
    const links = [...document.querySelectorAll('[data-testid="stSidebarNav"] a')]
        .map(a => a.innerText.trim().split('\\n').pop());
    return Boolean(heading && heading.innerText.trim() === title && links.join('|') === names.join('|'));
}"""


def _sidebar_links(page) -> list[str]:
    """The page names in the sidebar's navigation (each link's last line: the icon's name comes first)."""
    return [a.inner_text().strip().splitlines()[-1] for a in page.query_selector_all('[data-testid="stSidebarNav"] a')]


def _headings(page) -> list[str]:
    return [h.inner_text().strip() for h in page.query_selector_all('[data-testid="stMain"] h1')]


@pytest.mark.parametrize("attempt", [1, 2])
def test_every_deep_link_opened_first_gets_the_app_frame(attempt, demo_db, tmp_path, streamlit_server, chromium):
    """The page's own title under the app's sidebar: once the title has drawn, this run has sent its navigation
    (the frame's st.navigation comes before the page body), so the sidebar seen then is the one that stays."""
    for path, title, page in _open_first(chromium, demo_db, tmp_path, streamlit_server, {}):
        try:
            page.wait_for_function(FRAMED, arg=[title, TITLES], timeout=TIMEOUT_MS)
        except PlaywrightTimeout:
            pass  # the assertions below say what was drawn instead
        assert _headings(page)[:1] == [title], f"/{path}: {_headings(page)}"
        assert _sidebar_links(page) == TITLES, f"/{path}: {_sidebar_links(page)}"
        sidebar = page.inner_text('[data-testid="stSidebar"]')
        assert "Database" in sidebar and "shop-" in sidebar, f"/{path}: {sidebar[:300]}"
        assert not page.query_selector_all('[data-testid="stException"]'), f"/{path}"
        page.close()


def test_every_deep_link_opened_first_asks_for_the_password(demo_db, tmp_path, streamlit_server, chromium):
    """One try per URL: the login comes from the same `frame.enter` path that the frame test above tries twice."""
    env = {"REPEAT_PASSWORD": PASSWORD}
    for path, _title, page in _open_first(chromium, demo_db, tmp_path, streamlit_server, env):
        wait_for_app(page, TIMEOUT_MS)
        main = page.inner_text('[data-testid="stMain"]')
        assert "Enter the password" in main, f"/{path}: {main[:300]}"
        assert page.query_selector('input[type="password"]') is not None
        assert _headings(page) == ["Repeat"], f"/{path}: {_headings(page)}"  # the login, not the page
        assert _sidebar_links(page) == [], f"/{path}: a stranger sees the page names"
        assert not page.query_selector_all('[data-testid="stDataFrame"], [data-testid="stMetric"], '
                                           '[data-testid="stPlotlyChart"]'), f"/{path} shows data"
        page.close()
