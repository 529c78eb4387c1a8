"""The rules form on the Recommendations page (AppTest on a copy of the demo shop): only valid choices offered, a
rule that cannot apply is named while the others apply, a refused form says nothing was applied, and the
campaign intent defaults to what fits the model (shown in the Export tab too)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from recs.db import connect
from tests.conftest import REPO


@pytest.fixture
def shop(demo_db: Path, tmp_path: Path, use_db) -> Path:
    return use_db(Path(shutil.copy(demo_db, tmp_path / "shop.duckdb")))


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def _trained(name: str) -> AppTest:
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    at.switch_page("pages/recommendations.py")
    at.run()
    at.selectbox(key="train-model").set_value(name)
    at.run()
    at.button(key="train-button").click()
    at.run()
    _ok(at)
    return at


def _apply(at: AppTest) -> None:
    at.button(key="FormSubmitter:rules-form-Apply rules").click()
    at.run()
    _ok(at)


def _texts(elements) -> str:
    return "\n".join(str(e.value) for e in elements)


def test_only_valid_choices_and_every_rule_applies(shop):
    at = _trained("popular")
    who = at.text_input(key="preview-customer").value
    con = connect(shop)  # the app's process already holds the file read-write
    fees = [c for (c,) in con.execute("SELECT DISTINCT category FROM products WHERE NOT is_product").fetchall()]
    cheap = con.execute("SELECT p.product_id, p.category FROM products p JOIN product_sales s USING (product_id) "
                        "WHERE p.is_product AND p.unit_price <= 10 AND p.product_id NOT IN (SELECT product_id "
                        "FROM valid_lines WHERE customer_id = ?) ORDER BY s.buyers DESC LIMIT 2", [who]).fetchall()
    con.close()
    assert fees == ["Fees"] and len(cheap) == 2
    never = at.multiselect(key="rules-exclude-popular")
    assert "Fees" not in never.options and len(never.options) > 3  # only categories the model's products have
    other = next(c for c in never.options if c not in {cheap[0][1], cheap[1][1]})
    never.select(other)
    at.text_input(key="rules-pin").set_value(cheap[0][0])
    at.text_input(key="rules-bury").set_value(cheap[1][0])
    at.number_input(key="rules-per-category").set_value(2)
    at.number_input(key="rules-max-price").set_value(10.0)
    _apply(at)
    assert not at.error and not at.warning, (_texts(at.error), _texts(at.warning))
    shown = _texts(at.markdown)
    for words in (f"Never categories: {other}", f"Pinned to the top: {cheap[0][0]}", "At most 2 per category",
                  "Price between any and 10", f"Pushed to the bottom: {cheap[1][0]}"):
        assert words in shown
    frame = at.dataframe[-1].value if at.dataframe else None
    assert frame is not None and frame.iloc[0]["product_id"] == cheap[0][0]  # the preview: pinned first


def test_a_rule_that_cannot_apply_is_named_and_the_others_apply(shop):
    at = _trained("popular")
    never = at.multiselect(key="rules-exclude-popular")
    never.select(never.options[0])
    at.text_input(key="rules-pin").set_value("NO-SUCH-PRODUCT")
    _apply(at)
    assert not at.error
    warned = _texts(at.warning)
    assert "Not applied" in warned and "NO-SUCH-PRODUCT" in warned
    shown = _texts(at.markdown)
    assert f"Never categories: {never.options[0]}" in shown and "Pinned" not in shown


def test_a_refused_form_says_nothing_was_applied(shop):
    at = _trained("popular")
    at.number_input(key="rules-min-price").set_value(50.0)
    at.number_input(key="rules-max-price").set_value(10.0)
    _apply(at)
    assert "min_price 50.0 is above max_price 10.0" in _texts(at.error)
    assert "Nothing was applied" in _texts(at.warning)
    assert "Price between" not in _texts(at.markdown)  # the rules in force are still the old ones


def test_intent_defaults_to_the_model_and_shows_in_the_export_tab(shop):
    at = _trained("repeat")
    radio = at.radio(key="rules-intent-repeat")
    assert radio.value == "rebuy"  # Buy again is a re-buy campaign: its lists are the customer's own products
    reasons = at.dataframe[-1].value["reason"]
    assert len(reasons) and not reasons.str.contains("Popular").all()
    assert "Re-buy campaign" in _texts(at.caption)  # the Export tab says which intent the list follows
    radio.set_value("discovery")
    _apply(at)
    assert "with Discovery they are all left out" in _texts(at.warning)
    assert "Discovery: only products they have not bought" in _texts(at.caption)
    at.selectbox(key="train-model").set_value("item_knn")
    at.run()
    at.button(key="train-button").click()
    at.run()
    _ok(at)
    assert at.radio(key="rules-intent-item_knn").value == "discovery"  # each model its own fitting default
