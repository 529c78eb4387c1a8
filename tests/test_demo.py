"""The synthetic demo shop: determinism, sanity of every table, realism, the planted A/B lift, the CLI.

Oracles are independent pandas computations on the written rows (and the catalogue's stated cycles),
never numbers copied from an earlier run.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recs.db import connect
from recs.demo import (
    ASSIGN_DAYS,
    EXPERIMENT_ID,
    EXPERIMENT_START,
    PLANTED_CONVERSION_LIFT_PP,
    WINDOW_DAYS,
    generate_demo,
)
from recs.demo.catalogue import build_catalogue
from recs.errors import InputError

REPO = Path(__file__).resolve().parents[1]
CHECKSUM = """
SELECT count(*), sum(hash(order_id, line_no, customer_id, ordered_at, product_id, quantity, unit_price, status,
                          country))
FROM order_lines
"""
ASSIGN_CHECKSUM = "SELECT count(*), sum(hash(experiment_id, customer_id, variant, assigned_at)) FROM assignments"


def _small(path: Path, **kwargs) -> tuple[tuple, tuple, dict]:
    con = connect(path)
    try:
        summary = generate_demo(con, **kwargs)
        return con.execute(CHECKSUM).fetchone(), con.execute(ASSIGN_CHECKSUM).fetchone(), summary
    finally:
        con.close()


@pytest.fixture(scope="module")
def demo(demo_db: Path) -> dict[str, pd.DataFrame]:
    """The session demo shop's tables as pandas frames (read once, never written)."""
    con = connect(demo_db)
    try:
        frames = {t: con.execute(f"SELECT * FROM {t}").df() for t in ("order_lines", "products", "assignments",
                                                                        "imports")}
    finally:
        con.close()
    lines = frames["order_lines"]
    valid = lines[(lines.quantity > 0) & (lines.unit_price > 0) & ~lines.status.isin(["cancelled", "returned"])]
    valid = valid.assign(value=valid.quantity * valid.unit_price)
    frames["orders"] = valid.groupby("order_id", as_index=False).agg(
        customer_id=("customer_id", "first"), ordered_at=("ordered_at", "min"), revenue=("value", "sum"))
    frames["valid"] = valid
    return frames


def test_same_seed_same_rows_other_seed_differs(tmp_path: Path) -> None:
    a = _small(tmp_path / "a.duckdb", customers=300, seed=7)
    b = _small(tmp_path / "b.duckdb", customers=300, seed=7)
    c = _small(tmp_path / "c.duckdb", customers=300, seed=8)
    assert a[0] == b[0] and a[1] == b[1]
    assert a[0][0] > 1000 and a[1][0] > 50
    assert c[0] != a[0] and c[1] != a[1]


def test_replaces_data_and_records_one_import_each_time(tmp_path: Path) -> None:
    path = tmp_path / "r.duckdb"
    first, _, _ = _small(path, customers=400, seed=3)
    second, _, summary = _small(path, customers=400, seed=3)
    assert first == second  # replaced, not appended
    con = connect(path)
    try:
        imports = con.execute("SELECT * FROM imports ORDER BY id").df()
        assert con.execute("SELECT count(DISTINCT import_id), max(import_id) FROM order_lines").fetchone() == (
            1, imports.id.max())
    finally:
        con.close()
    assert len(imports) == 2 and set(imports.kind) == {"demo"} and set(imports.format) == {"demo"}
    last = imports.iloc[-1]
    assert last.file_name == "demo:seed=3,customers=400"
    assert len(last.sha256) == 64 and imports.sha256.nunique() == 1
    assert last.rows_read == last.rows_kept == second[0] == summary["lines"] and last.rows_rejected == 0
    assert json.loads(last.report) == summary


def test_failure_midway_leaves_database_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "f.duckdb"
    before, before_assign, _ = _small(path, customers=300, seed=1)

    def explode(fraction: float, message: str) -> None:
        raise RuntimeError("stop after the first batch was written")

    con = connect(path)
    try:
        with pytest.raises(RuntimeError):
            generate_demo(con, customers=500, seed=2, progress=explode)
        assert con.execute(CHECKSUM).fetchone() == before
        assert con.execute(ASSIGN_CHECKSUM).fetchone() == before_assign
        assert con.execute("SELECT count(*) FROM imports").fetchone()[0] == 1
    finally:
        con.close()


def test_bad_sizes_are_refused_with_a_clear_message(empty_db: Path) -> None:
    con = connect(empty_db)
    try:
        for kwargs in ({"customers": 0}, {"customers": -5}, {"lines": 0}, {"seed": -1}):
            with pytest.raises(InputError, match="at least 1|>= 0"):
                generate_demo(con, **kwargs)
        assert con.execute("SELECT count(*) FROM order_lines").fetchone()[0] == 0
    finally:
        con.close()


def test_progress_reaches_one(tmp_path: Path) -> None:
    seen: list[float] = []
    _small(tmp_path / "p.duckdb", customers=200, progress=lambda f, m: seen.append(f))
    assert seen and seen[-1] == 1.0 and seen == sorted(seen)


def test_ids_values_and_catalogue_are_sane(demo: dict[str, pd.DataFrame]) -> None:
    lines, products = demo["order_lines"], demo["products"]
    for col in ("order_id", "line_no", "ordered_at", "product_id", "quantity", "unit_price", "status"):
        assert lines[col].notna().all(), col
    registered = lines.customer_id.dropna()
    assert registered.str.fullmatch(r"C\d{5}").all() and lines.order_id.str.fullmatch(r"O\d{7}").all()
    assert lines.customer_id.isna().any()
    assert set(lines.status) == {"completed", "cancelled", "returned"}
    completed = lines[lines.status == "completed"]
    assert (completed.quantity > 0).all() and (completed.unit_price > 0).all()
    assert set(lines.product_id) <= set(products.product_id)
    goods = products[products.is_product]
    assert len(goods) >= 300 and goods.category.nunique() >= 12 and products.category.notna().all()
    assert goods.name.str.len().min() > 3 and products.name.is_unique
    assert set(products.loc[~products.is_product, "product_id"]) == {"POSTAGE", "GIFTWRAP"}
    assert 3 <= (~products.in_stock).sum() <= 20
    # the products' unit_price is the current (2025) list price: the highest 2025 price (promotions are lower)
    recent = lines[lines.ordered_at >= pd.Timestamp("2025-01-01")].groupby("product_id").unit_price.agg(["max", "size"])
    recent = recent[recent["size"] >= 30].join(products.set_index("product_id").unit_price)
    assert len(recent) > 200 and np.allclose(recent["max"], recent["unit_price"])
    assert lines.ordered_at.min() >= pd.Timestamp("2024-01-01") and lines.ordered_at.max() < pd.Timestamp("2026-01-01")
    # line_no runs 1..n within each order; an order has one customer, one time and one country
    per_order = lines.groupby("order_id").agg(n=("line_no", "size"), top=("line_no", "max"), low=("line_no", "min"),
                                              custs=("customer_id", "nunique"), times=("ordered_at", "nunique"))
    assert (per_order.n == per_order.top).all() and (per_order.low == 1).all()
    assert (per_order.custs <= 1).all() and (per_order.times == 1).all()
    assert not lines.duplicated(["order_id", "line_no"]).any()
    # cancellations are whole orders; postage exists; most lines ship to the UK, a few abroad
    touched = lines.order_id.isin(lines.loc[lines.status == "cancelled", "order_id"])
    assert (lines.loc[touched, "status"] == "cancelled").all()
    assert (lines.product_id == "POSTAGE").sum() > 1000
    countries = lines.country.value_counts(normalize=True)
    assert countries.index[0] == "United Kingdom" and 0.8 < countries.iloc[0] < 0.95 and len(countries) >= 5


def test_customers_guests_and_repurchase_mix(demo: dict[str, pd.DataFrame]) -> None:
    orders = demo["orders"]
    guest_share = orders.customer_id.isna().mean()
    assert 0.05 <= guest_share <= 0.10
    per_customer = orders.dropna(subset=["customer_id"]).groupby("customer_id").size()
    assert 4500 <= len(per_customer) <= 5000
    repurchase = (per_customer >= 2).mean()
    assert 0.40 <= repurchase <= 0.60
    assert per_customer.quantile(0.99) >= 20  # a loyal tail


def test_seasonality_weekly_and_yearly(demo: dict[str, pd.DataFrame]) -> None:
    orders = demo["orders"]
    month = orders.ordered_at.dt.to_period("M").astype(str).value_counts()
    assert (month["2025-11"] + month["2025-12"]) > 1.25 * (month["2025-09"] + month["2025-10"])
    weekday = orders.ordered_at.dt.dayofweek.value_counts()
    assert weekday[0] > 1.15 * weekday[5]  # Mondays busier than Saturdays


def test_consumables_are_rebought_near_their_cycle(demo: dict[str, pd.DataFrame]) -> None:
    cat = build_catalogue()
    cycle = dict(zip(cat.product_id, cat.cycle, strict=True))
    valid = demo["valid"].dropna(subset=["customer_id"])
    buys = valid[["customer_id", "product_id", "ordered_at"]].drop_duplicates().sort_values("ordered_at")
    gaps = buys.groupby(["customer_id", "product_id"]).ordered_at.diff().dt.total_seconds() / 86400
    stats = pd.DataFrame({"product_id": buys.product_id, "gap": gaps}).dropna().groupby("product_id").gap.agg(
        ["size", "median"])
    stats = stats[(stats["size"] >= 200) & stats.index.map(lambda p: cycle[p] > 0)]
    assert len(stats) >= 10
    ratio = stats["median"] / stats.index.map(cycle)
    assert 0.8 <= ratio.median() <= 1.5
    assert ((ratio > 0.5) & (ratio < 2.2)).mean() >= 0.9


def _rate_with_and_without(pairs: pd.DataFrame, key: str, cause: str, effect: str) -> tuple[float, float, int]:
    """Share of `key`s having `effect` among those with `cause`, and among those without."""
    everyone = set(pairs[key])
    with_cause = set(pairs.loc[pairs.product_id == cause, key])
    with_effect = set(pairs.loc[pairs.product_id == effect, key])
    without = everyone - with_cause
    return (len(with_cause & with_effect) / len(with_cause), len(without & with_effect) / len(without),
            len(with_cause))


def test_devices_and_bundles_shape_what_is_bought(demo: dict[str, pd.DataFrame]) -> None:
    products = demo["products"].set_index("name").product_id
    valid = demo["valid"].dropna(subset=["customer_id"])
    # across time: espresso machine owners come back for descaler
    per_customer = valid[["customer_id", "product_id"]].drop_duplicates()
    owners, others, n_owners = _rate_with_and_without(
        per_customer, "customer_id", products["Espresso Machine"], products["Espresso Machine Descaler 500ml"])
    assert n_owners >= 30 and owners > 5 * max(others, 1e-3)
    # in one basket: salsa comes with tortilla chips far more often than without
    per_order = valid[["order_id", "product_id"]].drop_duplicates()
    with_chips, without, _ = _rate_with_and_without(
        per_order, "order_id", products["Tortilla Chips 200g"], products["Salsa Dip 300g"])
    assert with_chips > 5 * without


def test_experiment_assignments_and_planted_lift(demo: dict[str, pd.DataFrame]) -> None:
    assign = demo["assignments"]
    assert set(assign.experiment_id) == {EXPERIMENT_ID}
    assert set(assign.variant) == {"control", "treatment"}
    assert assign.customer_id.is_unique and len(assign) >= 2000
    start = pd.Timestamp(str(EXPERIMENT_START))
    assert assign.assigned_at.min() >= start and assign.assigned_at.max() < start + pd.Timedelta(days=ASSIGN_DAYS)
    orders = demo["orders"].dropna(subset=["customer_id"])
    joined = assign.merge(orders, on="customer_id", how="left")
    pre = joined[joined.ordered_at < joined.assigned_at].customer_id.unique()
    assert set(pre) == set(assign.customer_id)  # everyone has a pre-period
    in_window = joined[(joined.ordered_at >= joined.assigned_at)
                       & (joined.ordered_at < joined.assigned_at + pd.Timedelta(days=WINDOW_DAYS))]
    assign = assign.assign(converted=assign.customer_id.isin(in_window.customer_id))
    rates = assign.groupby("variant").converted.agg(["mean", "size"])
    p_c, n_c = rates.loc["control"]
    p_t, n_t = rates.loc["treatment"]
    lift = p_t - p_c
    se = math.sqrt(p_t * (1 - p_t) / n_t + p_c * (1 - p_c) / n_c)
    planted = PLANTED_CONVERSION_LIFT_PP / 100
    assert lift - 1.96 * se > 0  # the 95% interval excludes zero
    assert lift - 1.96 * se <= planted <= lift + 1.96 * se  # and covers the planted lift
    # the plant is exact on the treated: actual = counterfactual + planted (rounded to whole customers)
    report = json.loads(demo["imports"].report.iloc[-1])["experiment"]
    assert round(p_c, 4) == report["control_conversion"]
    assert abs(p_t - report["treatment_conversion_without_email"] - planted) < 1.5 / n_t + 1e-4
    revenue = in_window.groupby("customer_id").revenue.sum()
    rpc = assign.assign(rev=assign.customer_id.map(revenue).fillna(0.0)).groupby("variant").rev.mean()
    assert rpc["treatment"] > rpc["control"]


def test_cli_demo_and_bad_count(tmp_path: Path) -> None:
    db = tmp_path / "cli.duckdb"
    run = [sys.executable, "-m", "recs", "demo", "--db", str(db)]
    ok = subprocess.run([*run, "--customers", "500"], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
    assert "demo shop written" in ok.stdout and "reco-email" in ok.stdout
    con = connect(db)
    try:
        n_lines = con.execute("SELECT count(*) FROM order_lines").fetchone()[0]
        assert con.execute("SELECT count(DISTINCT customer_id) FROM order_lines").fetchone()[0] <= 500
    finally:
        con.close()
    assert str(n_lines) in ok.stdout.replace(",", "")
    bad = subprocess.run([*run, "--customers", "0"], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2
    assert "error: --customers must be at least 1" in bad.stderr and "Traceback" not in bad.stderr


def test_lines_scales_the_shop(tmp_path: Path) -> None:
    (n_lines, _), _, summary = _small(tmp_path / "l.duckdb", lines=20_000)
    assert 14_000 <= n_lines <= 28_000 and summary["lines"] == n_lines
