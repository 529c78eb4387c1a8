"""Two browser sessions on one app server train different models in headless Chromium: each keeps its own choice
(the Recommendations summary; the Customer page's list) while the other trains; a new session opens on the newest current run."""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import wait_for_app


def model_shown(page) -> str:
    """The Recommendations page's 'Model' figure (the session's chosen run)."""
    metric = page.locator('[data-testid="stMetric"]').filter(has_text="Model").first
    return metric.locator('[data-testid="stMetricValue"]').inner_text().strip()


def chosen_in(page, label: str) -> str:
    """The option a selectbox labelled `label` shows."""
    return page.get_by_role("combobox", name=label).first.input_value()


def train(page, label: str, name: str) -> None:
    """Pick the model by its label in the Train tab, press Train and wait for the success line of its run."""
    page.locator('[data-testid="stSelectbox"]').filter(has_text="Model").first.click()
    page.locator('[role="option"]').filter(has_text=label).first.click()
    wait_for_app(page)
    page.get_by_role("button", name="Train", exact=True).click()
    page.get_by_text(f"Trained {name} in").last.wait_for(timeout=90_000)
    wait_for_app(page)


def visit(page, path: str) -> None:
    """Open a page through the sidebar link to /`path`: the same browser session, its state kept."""
    page.locator(f'[data-testid="stSidebarNav"] a[href$="/{path}"]').click()
    # the page may add its query at once (the Customer page keeps ?customer=...): match the path alone
    page.wait_for_url(lambda url: urlsplit(url).path.endswith(f"/{path}"), timeout=60_000)
    wait_for_app(page)


@pytest.mark.browser
def test_two_sessions_training_different_models_never_see_each_others(demo_db: Path, streamlit_server, chromium,
                                                                       tmp_path: Path) -> None:
    shop = Path(shutil.copy(demo_db, tmp_path / "demo.duckdb"))
    url = streamlit_server(shop)
    first, second = chromium.new_context(), chromium.new_context()  # two people: separate cookies and sessions
    try:
        anna, ben = first.new_page(), second.new_page()
        for page in (anna, ben):
            page.goto(f"{url}/recommendations")
            wait_for_app(page)
            assert page.get_by_text("No model chosen yet").count()
        train(anna, "Popular", "popular")
        assert model_shown(anna) == "popular"
        train(ben, "Item kNN", "item_knn")
        assert model_shown(ben) == "item_knn"

        visit(anna, "recommendations")  # Ben's newer run does not replace Anna's choice
        assert model_shown(anna) == "popular"
        visit(anna, "customer")
        assert "(popular)" in chosen_in(anna, "Model")

        newcomer = first.new_page()  # a new session (same browser, new tab) opens on the newest current run
        newcomer.goto(f"{url}/recommendations")
        wait_for_app(newcomer)
        assert model_shown(newcomer) == "item_knn"
        visit(anna, "recommendations")
        assert model_shown(anna) == "popular"
        for page in (anna, ben, newcomer):
            assert not page.locator('[data-testid="stException"]').count()
    finally:
        first.close()
        second.close()
