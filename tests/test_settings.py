"""Shop settings (recs.settings): stored in the shop's DuckDB file, defaults from the data, checked input, the CLI and
the Settings page; money written for people in the shop's currency."""

from __future__ import annotations

import shutil

import pytest

from recs.cli import main
from recs.db import connect
from recs.errors import InputError
from recs.settings import DEFAULT_MIN_COHORT, load_settings, money, parse_currency, parse_min_cohort, save_settings
from tests.conftest import open_page


@pytest.fixture
def shop(demo_db, tmp_path):
    """A private copy of the demo shop (settings are written into the file)."""
    path = tmp_path / "shop.duckdb"
    shutil.copy(demo_db, path)
    return path


def test_defaults_come_from_the_data_and_reading_never_writes(shop, empty_db):
    con = connect(shop, read_only=True)
    settings = load_settings(con)  # a read-only file works: nothing is created on read
    con.close()
    assert (settings.currency, settings.currency_source) == ("GBP", "data")  # the demo shop prices in GBP
    assert (settings.min_cohort, settings.min_cohort_source) == (DEFAULT_MIN_COHORT, "default")
    con = connect(empty_db)
    assert load_settings(con).currency is None  # nothing imported: no currency known
    con.close()


def test_saved_settings_live_in_the_shop_file(shop):
    con = connect(shop)
    assert save_settings(con, currency="usd", min_cohort="50").currency == "USD"
    con.close()
    con = connect(shop, read_only=True)
    settings = load_settings(con)
    con.close()
    assert (settings.currency, settings.currency_source, settings.min_cohort) == ("USD", "setting", 50)
    con = connect(shop)
    cleared = save_settings(con, currency="none")  # no currency on purpose beats the data's GBP
    assert (cleared.currency, cleared.currency_source, cleared.min_cohort) == (None, "setting", 50)
    assert save_settings(con, min_cohort=5).currency is None  # an omitted setting keeps its value
    con.close()


@pytest.mark.parametrize("bad", ["pounds", "£", "G8P", "12"])
def test_bad_currency_names_the_field(bad):
    with pytest.raises(InputError, match="currency: expected a three-letter"):
        parse_currency(bad)


@pytest.mark.parametrize("bad", ["0", "-3", "2.5", "many", "1e9", "nan"])
def test_bad_min_cohort_names_the_field(bad):
    with pytest.raises(InputError, match="min-cohort: expected a whole number"):
        parse_min_cohort(bad)


@pytest.mark.parametrize(("value", "currency", "kwargs", "text"), [
    (1234.5, "GBP", {}, "£1,234.50"), (-3, "USD", {}, "-$3.00"), (1234.5, "CHF", {}, "1,234.50 CHF"),
    (1234.5, None, {}, "1,234.50"), (973_651.76, "GBP", {"compact": True}, "£973.7k"),
    (float("nan"), "GBP", {}, "–"), (None, "EUR", {}, "–"), (-0.001, "EUR", {}, "€0.00"), (2.5, "EUR",
                                                                                         {"decimals": 0}, "€2"),
])
def test_money_for_people(value, currency, kwargs, text):
    assert money(value, currency, **kwargs) == text


def test_cli_shows_and_changes_settings(shop, capsys):
    assert main(["settings", "--db", str(shop)]) == 0
    assert capsys.readouterr().out.splitlines() == ["currency: GBP (from the data's source)", "min_cohort: 20 (default)"]
    assert main(["settings", "--db", str(shop), "--currency", "EUR", "--min-cohort", "30"]) == 0
    assert "currency: EUR (set for this shop)" in capsys.readouterr().out
    assert main(["settings", "--db", str(shop), "--min-cohort", "zero"]) == 2
    assert capsys.readouterr().err.startswith("error: min-cohort:")
    con = connect(shop, read_only=True)
    assert load_settings(con).min_cohort == 30  # the refused change left the setting alone
    con.close()


def test_settings_page_saves_and_other_pages_follow(shop, use_db):
    use_db(shop)
    at = open_page("pages/settings.py")
    assert at.text_input(key="settings_currency").value == "GBP"
    at.text_input(key="settings_currency").set_value("usd")
    at.number_input(key="settings_min_cohort").set_value(40)
    at.button(key="settings_save").click().run()
    assert not at.exception and not at.error
    assert any("Saved" in s.value for s in at.success)
    con = connect(shop)  # the app in this process holds the file read-write: open it the same way
    settings = load_settings(con)
    con.close()
    assert (settings.currency, settings.min_cohort) == ("USD", 40)
    at.text_input(key="settings_currency").set_value("pounds")
    at.button(key="settings_save").click().run()
    assert any("currency: expected a three-letter" in e.value for e in at.error)
    at.switch_page("pages/overview.py")
    at.run()
    assert {m.label: m.value for m in at.metric}["Average order value"].startswith("$")


def test_settings_page_on_an_empty_shop(empty_db, use_db):
    use_db(empty_db)
    at = open_page("pages/settings.py")
    assert at.text_input(key="settings_currency").value == ""
    assert at.number_input(key="settings_min_cohort").value == DEFAULT_MIN_COHORT
