"""Predictive retention (recs/predict): the published CDNOW parameters, hand-made customers in a known order, the
calibration table on the demo shop, the forecast's columns and values, and the CLI (columns, bad input)."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recs.cli import main
from recs.db import connect, refresh_derived
from recs.predict import BACKTEST_COLUMNS, FORECAST_COLUMNS, backtest, forecast
from recs.predict.best import CANDIDATES, BGNBDShared
from recs.predict.bgnbd import fit_bgnbd, fit_gamma_gamma
from recs.predict.data import ShopData
from recs.predict.stacked import WINDOWS, Stacked, bin_edges, to_bins
from tests.conftest import REPO, SHARED

CDNOW = SHARED / "cdnow" / "CDNOW_sample.txt"
PUBLISHED = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}


def cdnow_as_the_paper_counts() -> pd.DataFrame:
    """x, t_x, T (weeks) per customer over 1997-01-01..1997-09-30, purchases counted once per day, every line."""
    lines = pd.read_csv(CDNOW, sep=r"\s+", header=None, names=["cid", "idx", "date", "n", "value"],
                        dtype={"date": str})
    lines["date"] = pd.to_datetime(lines["date"], format="%Y%m%d")
    days = lines[lines["date"] < "1997-10-01"].groupby(["cid", "date"], as_index=False)["value"].sum()
    by = days.groupby("cid")
    first, last, n = by["date"].min(), by["date"].max(), by["date"].count()
    end = pd.Timestamp("1997-09-30")
    repeat_value = (by["value"].sum() - days.loc[by["date"].idxmin()].set_index("cid")["value"]) / (n - 1)
    return pd.DataFrame({"x": n - 1, "t_x": (last - first).dt.days / 7, "T": (end - first).dt.days / 7,
                         "m": repeat_value.fillna(0)})


def test_bgnbd_reproduces_the_published_cdnow_parameters():
    summary = cdnow_as_the_paper_counts()
    assert len(summary) == 2357
    params, note = fit_bgnbd(summary["x"], summary["t_x"], summary["T"], modified=False)
    assert note is None
    for (name, published), fitted in zip(PUBLISHED.items(), params, strict=True):
        assert abs(fitted - published) <= 0.005, (name, fitted, published)
    spend, spend_note = fit_gamma_gamma(summary["x"], summary["m"])
    assert spend_note is None
    np.testing.assert_allclose(spend, [6.25, 3.74, 15.44], atol=0.01)  # what lifetimes 0.11.3 fits


@pytest.fixture(scope="module")
def hand_made_db(tmp_path_factory) -> Path:
    """150 background customers (so the shop is big enough to predict) plus two known ones: `weekly` ordered every
    week for a year up to yesterday, `once` ordered once a year before the cutoff 2024-07-01."""
    rng = np.random.default_rng(3)
    start = pd.Timestamp("2023-01-01")
    rows = []
    for c in range(150):
        gap = rng.integers(10, 120)
        first = rng.integers(0, 300)
        for d in range(first, first + rng.integers(1, 6) * gap, gap):
            rows.append((f"B{c:03d}", start + pd.Timedelta(days=int(d)), 20.0))
    rows += [("weekly", pd.Timestamp("2024-06-30") - pd.Timedelta(weeks=w), 20.0) for w in range(52)]
    rows += [("once", pd.Timestamp("2023-07-01"), 20.0)]
    frame = pd.DataFrame(rows, columns=["customer_id", "ordered_at", "unit_price"])
    frame["order_id"] = [f"O{i}" for i in range(len(frame))]
    path = tmp_path_factory.mktemp("hand") / "hand.duckdb"
    con = connect(path)
    con.register("src", frame)
    con.execute("INSERT INTO order_lines SELECT order_id, 1, customer_id, ordered_at, 'P1', 1.0, unit_price, "
                "'completed', 'UK', 1 FROM src")
    refresh_derived(con)
    con.execute("INSERT INTO products VALUES ('P1', 'thing', 'cat', TRUE, TRUE, 20.0)")
    con.close()
    return path


@pytest.mark.parametrize("model", ["bgnbd", "best"])
def test_weekly_buyer_seen_yesterday_beats_one_time_buyer_of_a_year_ago(hand_made_db, model):
    con = connect(hand_made_db, read_only=True)
    try:
        frame = forecast(con, "2024-07-01", 90, model).frame.set_index("customer_id")
    finally:
        con.close()
    weekly, once = frame.loc["weekly"], frame.loc["once"]
    assert weekly["p_alive"] > once["p_alive"]
    assert weekly["expected_orders"] > once["expected_orders"]
    assert weekly["p_order_in_horizon"] > once["p_order_in_horizon"]
    assert weekly["expected_next_order_at"] < once["expected_next_order_at"]


@pytest.fixture(scope="module")
def demo_backtest(demo_db):
    con = connect(demo_db)  # the app's configuration: an AppTest in this worker may hold the file open
    try:
        return backtest(con, "2025-07-01", 90, models=("best", "bgnbd", "rfm_gbr", "past_rate", "mean"))
    finally:
        con.close()


def test_best_is_the_stacked_model_and_beats_bgnbd_and_the_rfm_trees_on_the_demo(demo_backtest):
    """The issue's targets on the demo shop (two years of history: the same season a year earlier is in it):
    `best` (the stacked model, chosen on the window before) has a per-customer MAE at least 5 % below both BG/NBD
    and the plain trees on RFM features, and its total is within 0.85-1.15 of what happened (BG/NBD's is not)."""
    table = demo_backtest.table.set_index("model")
    assert demo_backtest.best_choice == "stacked"
    assert table.loc["best", "mae"] <= 0.95 * min(table.loc["bgnbd", "mae"], table.loc["rfm_gbr", "mae"])
    assert 0.85 <= table.loc["best", "total_ratio"] <= 1.15 < table.loc["bgnbd", "total_ratio"]
    assert table.loc["best", "auc"] >= table.loc["bgnbd", "auc"]


def test_stacked_model_shares_out_bgnbd_total_for_the_season_without_nan_or_negatives(demo_db):
    con = connect(demo_db)
    try:
        shop = ShopData(con)
        cutoff = pd.Timestamp("2025-07-01")
        model = Stacked().fit(shop, cutoff, 90)
        predicted = model.predict()
        bg = BGNBDShared().fit(shop, cutoff, 90).predict()
    finally:
        con.close()
    assert model.windows_ == WINDOWS
    assert predicted["customer_id"].tolist() == bg["customer_id"].tolist()
    expected, chance = predicted["expected_orders"].to_numpy(), predicted["p_order_in_horizon"].to_numpy()
    assert np.isfinite(expected).all() and (expected >= 0).all() and ((chance >= 0) & (chance <= 1)).all()
    # July to September a year earlier were quieter than the three months before them: the level goes down
    assert 0.5 <= model.level_ < 0.95
    assert expected.sum() == pytest.approx(model.level_ * bg["expected_orders"].sum(), rel=1e-9)
    assert not np.allclose(expected, bg["expected_orders"].to_numpy())  # the trees do move purchases
    # more expected purchases than BG/NBD says <=> a higher chance of ordering than BG/NBD says
    more = expected > bg["expected_orders"].to_numpy()
    assert more.any() and (chance[more] >= bg["p_order_in_horizon"].to_numpy()[more] - 1e-12).all()


def test_no_seasonal_level_without_the_same_season_a_year_earlier(demo_db):
    """Nine months of history (2024-01-01 .. 2024-09-30): nothing a year earlier, so BG/NBD's total is kept."""
    con = connect(demo_db)
    try:
        shop = ShopData(con)
        cutoff = pd.Timestamp("2024-10-01")
        model = Stacked().fit(shop, cutoff, 90)
        expected = model.predict()["expected_orders"].sum()
        bg = BGNBDShared().fit(shop, cutoff, 90).predict()["expected_orders"].sum()
    finally:
        con.close()
    assert model.level_ == 1.0 and expected == pytest.approx(bg, rel=1e-9)


def test_our_binning_keeps_the_order_of_values_in_at_most_255_bins():
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.exponential(size=5000), rng.integers(0, 7, 5000).astype(float)])
    edges = bin_edges(X)
    codes = to_bins(X, edges)
    assert len(np.unique(codes[:, 0])) <= 255 and len(np.unique(codes[:, 1])) == 7
    for j in range(2):
        order = np.argsort(X[:, j], kind="stable")
        assert (np.diff(codes[order, j]) >= 0).all()
    # past the midpoint between 2 and 3, a new value lands in 3's bin, as scikit-learn bins it
    assert to_bins(np.array([[X[:, 0].max() + 1, 2.7]]), edges)[0, 1] == 3


def test_backtest_table_and_models_beat_the_naive_baselines(demo_backtest):
    table = demo_backtest.table.set_index("model")
    assert list(demo_backtest.table.columns) == BACKTEST_COLUMNS
    assert demo_backtest.best_choice in CANDIDATES
    for model in ("best", "bgnbd"):
        assert table.loc[model, "mae"] < table.loc["mean", "mae"]
        assert table.loc[model, "mae"] < table.loc["past_rate", "mae"]
        assert table.loc[model, "auc"] > 0.8
        assert 0.7 < table.loc[model, "total_ratio"] < 1.4
    assert table.loc["mean", "auc"] == pytest.approx(0.5)


def test_calibration_rises_with_past_purchases_on_the_demo_shop(demo_backtest):
    """Mean predicted and actual purchases grow with the repeat purchases before the cutoff (groups of 150+
    customers; the small groups in between are noisy)."""
    table = demo_backtest.calibration
    for model in ("best", "bgnbd"):
        rows = table[(table["model"] == model) & (table["customers"] >= 150)].sort_values("past_repeat_purchases")
        assert len(rows) >= 4
        assert rows["predicted"].is_monotonic_increasing, rows
        assert rows["actual"].is_monotonic_increasing, rows


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "recs", "predict", *args], cwd=REPO, capture_output=True,
                          text=True, timeout=300)


def test_cli_forecast_has_the_exact_columns_and_sane_values(shop_copy):
    done = run_cli("--db", str(shop_copy), "--until", "2025-10-01", "--model", "bgnbd", "--out", "-")
    assert done.returncode == 0, done.stderr
    frame = pd.read_csv(io.StringIO(done.stdout), dtype={"customer_id": str})
    assert list(frame.columns) == FORECAST_COLUMNS
    numbers = frame[["p_alive", "expected_orders", "expected_revenue", "clv_12m", "p_order_in_horizon"]]
    assert not numbers.isna().any().any() and (numbers >= 0).all().all()
    assert frame["p_alive"].le(1).all() and frame["p_order_in_horizon"].le(1).all()
    assert set(frame["churn_risk"]) <= {"low", "medium", "high"}
    assert pd.to_datetime(frame["expected_next_order_at"]).ge("2025-10-01").all()
    assert frame["customer_id"].is_unique and frame["orders"].ge(1).all()


@pytest.fixture(scope="module")
def shop_copy(demo_db, tmp_path_factory) -> Path:
    """A private copy for the in-process CLI (which opens its file read-only, unlike an AppTest in this worker)."""
    return Path(shutil.copy(demo_db, tmp_path_factory.mktemp("copy") / "shop.duckdb"))


def test_cli_backtest_writes_one_row_per_model(shop_copy, tmp_path):
    out = tmp_path / "bt.csv"
    assert main(["predict", "backtest", "--db", str(shop_copy), "--until", "2025-07-01", "--horizon-days", "60",
                 "--out", str(out)]) == 0
    table = pd.read_csv(out)
    assert list(table.columns) == BACKTEST_COLUMNS
    assert {"best", "bgnbd", "learned", "past_rate", "mean"} <= set(table["model"])


@pytest.mark.parametrize("args, message", [
    (["--horizon-days", "0"], "horizon must be at least 1 day"),
    (["--horizon-days", "-5"], "horizon must be at least 1 day"),
    (["--until", "2031-01-01"], "outside the data"),
    (["--until", "2024-02-01"], "too little history"),
    (["--model", "prophet"], "unknown model 'prophet'"),
    (["backtest", "--until", "2025-12-01"], "data ends on"),
    (["backtest"], "needs --until"),
])
def test_cli_bad_input_says_what_is_wrong(shop_copy, args, message, capsys):
    """`python -m recs predict` in this process (recs.cli.main, what the subprocess runs): error and exit 2."""
    assert main(["predict", "--db", str(shop_copy), "--out", "-", *args]) == 2
    err = capsys.readouterr().err
    assert err.strip().splitlines()[-1].startswith("error:") and message in err, err


def test_too_few_repeat_customers_is_refused(hand_made_db, tmp_path, capsys):
    small = tmp_path / "small.duckdb"
    con = connect(small)
    con.execute("ATTACH ? AS src (READ_ONLY)", [str(hand_made_db)])
    con.execute("INSERT INTO order_lines SELECT * FROM src.order_lines WHERE customer_id < 'B050' "
                "OR customer_id = 'weekly'")
    con.execute("INSERT INTO products SELECT * FROM src.products")
    refresh_derived(con)
    con.close()
    assert main(["predict", "--db", str(small), "--until", "2024-07-01", "--out", "-"]) == 2
    assert "repeat customers" in capsys.readouterr().err


def test_a_shop_where_nobody_leaves_gets_a_regularised_fit_and_a_note():
    """Poisson buyers who never drop out: maximum likelihood runs off to a = b = 0 (as on Online Retail); the fit
    is regularised, says so, and predicts finite, non-negative numbers."""
    from recs.predict.bgnbd import expected_purchases, p_alive, p_order_within

    rng = np.random.default_rng(0)
    T = rng.uniform(20, 52, 800)
    x = rng.poisson(rng.gamma(2.0, 0.5, 800) * T).astype(float)
    t_x = np.where(x > 0, T * rng.beta(x + 1e-9, 1), 0.0)
    for modified in (False, True):
        params, note = fit_bgnbd(x, t_x, T, modified)
        assert note is not None and "regularised" in note
        assert np.all(np.isfinite(params)) and np.all(params > 0)
        for values in (expected_purchases(params, x, t_x, T, 13.0, modified), p_alive(params, x, t_x, T, modified),
                       p_order_within(params, x, t_x, T, 13.0, modified)):
            assert np.all(np.isfinite(values)) and np.all(values >= 0)


def test_a_next_order_date_at_the_cap_reads_not_expected():
    """The forecast caps the next-order date 3 years after the cutoff ("not expected"); people read the words."""
    from recs.predict import report
    from recs.predict.forecast import MAX_WAIT_DAYS

    cutoff = pd.Timestamp("1998-07-01")
    cap = f"{cutoff + pd.Timedelta(days=MAX_WAIT_DAYS):%Y-%m-%d}"
    shown = report.next_order_text(pd.Series(["1998-08-15", cap]), cutoff)
    assert shown.tolist() == ["1998-08-15", report.NOT_EXPECTED]
