"""Window and guard cases on tiny hand-built warehouses, and an independent pandas oracle for the whole table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from recs.db import connect, refresh_derived
from recs.errors import InputError, NotFound
from recs.experiments import analyze, data, stats

T0 = pd.Timestamp("2024-03-01 00:00:00")
DAY = pd.Timedelta(days=1)


def build(path, orders, assignments):
    """orders: (order_id, customer_id or None, ordered_at, revenue, status); one line each."""
    con = connect(path)
    lines = pd.DataFrame(
        [(o, 1, c, t, "p1", 1.0, float(r), s, "UK", 1) for o, c, t, r, s in orders],
        columns=["order_id", "line_no", "customer_id", "ordered_at", "product_id", "quantity", "unit_price", "status",
                 "country", "import_id"],
    )
    if len(lines):
        con.execute("INSERT INTO order_lines SELECT * FROM lines")
        refresh_derived(con)
    assign = pd.DataFrame(assignments, columns=["experiment_id", "customer_id", "variant", "assigned_at"])
    assign["import_id"] = 1
    if len(assign):
        con.execute("INSERT INTO assignments SELECT * FROM assign")
    return con


@pytest.fixture
def tiny(tmp_path):
    orders = [
        ("o1", "a1", T0, 10, "completed"),                  # exactly at assigned_at: inside
        ("o2", "a1", T0 + 5 * DAY, 20, "completed"),
        ("o3", "a1", T0 + 10 * DAY, 40, "completed"),       # exactly at assigned_at + W: outside
        ("o4", "a1", T0 - 30 * DAY, 7, "completed"),        # exactly D days before: inside the pre-period
        ("o5", "a1", T0 - 31 * DAY, 3, "completed"),        # before the pre-period, still history
        ("o6", "a3", T0 + 1 * DAY, 99, "cancelled"),        # cancelled: no order
        ("o7", "a3", T0 + 2 * DAY, 15, "completed"),
        ("o8", "a4", T0 + 1 * DAY, 50, "completed"),
        ("o9", None, T0 + 30 * DAY, 500, "completed"),      # guest: sets the data's end, never counts
        ("o10", None, T0 + 3 * DAY, 80, "completed"),
    ]
    assignments = [
        ("e1", "a1", "control", T0),
        ("e1", "a2", "control", T0),                        # no orders at all: zeros
        ("e1", "a3", "treatment", T0),
        ("e1", "a4", "control", T0),                        # in two variants: excluded, counted
        ("e1", "a4", "treatment", T0),
        ("e1", "a5", "treatment", T0 + 25 * DAY),           # window past the data's end: excluded, counted
        ("e1", "a6", "treatment", T0 + 20 * DAY),           # window ends exactly at the data's end: included
        ("e2", "a1", "control", T0),
    ]
    con = build(tmp_path / "tiny.duckdb", orders, assignments)
    yield con
    con.close()


def test_customer_window_by_hand(tiny):
    frame = data.customer_window(tiny, "e1", window_days=10, pre_days=30).set_index("customer_id")
    a1 = frame.loc["a1"]
    assert (a1["orders"], a1["revenue"], a1["pre_revenue"], a1["orders_before"]) == (2, 30.0, 7.0, 2)
    assert (frame.loc["a2", "orders"], frame.loc["a2", "revenue"]) == (0, 0.0)
    assert (frame.loc["a3", "orders"], frame.loc["a3", "revenue"]) == (1, 15.0)
    assert frame.loc["a4", "n_variants"] == 2
    assert not frame.loc["a5", "complete"] and frame.loc["a6", "complete"]


def test_guards_count_what_is_left_out(tiny):
    result = analyze.analyze_experiment(tiny, "e1", window_days=10, pre_days=30)
    g = result.guards
    assert (g.assigned, g.in_two_variants, g.past_data_end, g.included) == (6, 1, 1, 4)
    assert g.data_end == T0 + 30 * DAY
    assert sorted(result.customers["customer_id"]) == ["a1", "a2", "a3", "a6"]
    assert result.flagged.to_dict("records") == [{"customer_id": "a4", "variants": "control, treatment"}]
    assert any("more than one variant" in n for n in result.notes)
    assert any("past the data's end" in n for n in result.notes)


def test_values_by_hand_and_too_few_customers(tiny):
    table = analyze.analyze_experiment(tiny, "e1", window_days=10, pre_days=30).table.set_index(["metric", "variant"])
    # control a1 (2 orders, 30), a2 (0); treatment a3 (1 order, 15), a6 (0)
    assert table.loc[("conversion", "control"), "value"] == 0.5
    assert table.loc[("orders_per_customer", "control"), "value"] == 1.0
    assert table.loc[("revenue_per_customer", "control"), "value"] == 15.0
    assert table.loc[("revenue_per_customer", "treatment"), "value"] == 7.5
    assert table.loc[("revenue_per_customer", "treatment"), "lift"] == -7.5
    assert table.loc[("revenue_per_customer", "treatment"), "lift_rel"] == -0.5
    # repeat rate: only a1 had ordered before assignment
    assert table.loc[("repeat_rate", "control"), "customers"] == 1
    assert table.loc[("repeat_rate", "control"), "value"] == 1.0
    treat = table.loc[("conversion", "treatment")]
    assert np.isnan(treat["p_value"]) and np.isnan(treat["ci_low"])
    assert "too few customers" in treat["note"]
    srm = table.loc[("srm", "")]
    assert srm["customers"] == 5  # one-variant customers, whatever their window
    assert srm["p_value"] == pytest.approx(sps.chisquare([2, 3]).pvalue)


def test_window_boundary_moves_with_w(tiny):
    table = analyze.analyze_experiment(tiny, "e2", window_days=11, pre_days=30).table.set_index(["metric", "variant"])
    assert table.loc[("orders_per_customer", "control"), "value"] == 3  # o3 at +10 days is inside an 11-day window


def test_bad_requests(tiny, tmp_path):
    with pytest.raises(NotFound, match="e1, e2"):
        analyze.abtest_table(tiny, "nope")
    for w, d in ((0, 30), (-3, 30), (10, 0), (10, -1)):
        with pytest.raises(InputError, match="positive whole number"):
            analyze.abtest_table(tiny, "e1", window_days=w, pre_days=d)
    with pytest.raises(InputError, match="no variant named 'nope'; its variants are: control, treatment"):
        analyze.analyze_experiment(tiny, "e1", control="nope")
    empty = connect(tmp_path / "none.duckdb")
    with pytest.raises(InputError, match="no experiment assignments"):
        analyze.abtest_table(empty)
    empty.close()


def test_chosen_control(tiny):
    table = analyze.analyze_experiment(tiny, "e1", window_days=10, pre_days=30, control="treatment").table
    assert table.loc[table["lift"].isna() & (table["metric"] == "conversion"), "variant"].tolist() == ["treatment"]


@pytest.fixture
def random_db(tmp_path):
    """300 customers in three arms with random histories; the oracle recomputes everything in pandas."""
    rng = np.random.default_rng(3)
    n = 300
    customers = [f"c{i:03d}" for i in range(n)]
    variant = rng.choice(["control", "A", "B"], n)
    assigned = T0 + pd.to_timedelta(rng.integers(0, 5 * 86400, n), unit="s")
    orders, k = [], 0
    for i, c in enumerate(customers):
        for _ in range(rng.poisson(1.5)):
            k += 1
            orders.append((f"o{k}", c, assigned[i] - pd.Timedelta(seconds=int(rng.integers(1, 400 * 86400))),
                           round(float(rng.lognormal(3, 1)), 2), "completed"))
        for _ in range(rng.poisson({"control": 0.4, "A": 0.6, "B": 0.4}[variant[i]])):
            k += 1
            orders.append((f"o{k}", c, assigned[i] + pd.Timedelta(seconds=int(rng.integers(0, 40 * 86400))),
                           round(float(rng.lognormal(3, 1)), 2), rng.choice(["completed", "completed", "returned"])))
    orders.append(("end", None, T0 + 90 * DAY, 1.0, "completed"))
    assignments = [("r", c, v, a) for c, v, a in zip(customers, variant, assigned, strict=True)]
    con = build(tmp_path / "random.duckdb", orders, assignments)
    yield con, pd.DataFrame(orders, columns=["order_id", "customer_id", "ordered_at", "revenue", "status"]), \
        pd.DataFrame(assignments, columns=["experiment_id", "customer_id", "variant", "assigned_at"])
    con.close()


def test_table_matches_independent_pandas_oracle(random_db):
    con, orders, assign = random_db
    w, pre = 30, 180
    valid = orders[(orders["status"] == "completed") & orders["customer_id"].notna()]
    m = assign.merge(valid, on="customer_id", how="left")
    in_win = (m["ordered_at"] >= m["assigned_at"]) & (m["ordered_at"] < m["assigned_at"] + w * DAY)
    in_pre = (m["ordered_at"] >= m["assigned_at"] - pre * DAY) & (m["ordered_at"] < m["assigned_at"])
    before = m["ordered_at"] < m["assigned_at"]
    m["win_rev"] = m["revenue"].where(in_win, 0.0)
    m["pre_rev"] = m["revenue"].where(in_pre, 0.0)
    oracle = m.assign(win=in_win, before=before).groupby(["customer_id", "variant"]).agg(
        orders=("win", "sum"), revenue=("win_rev", "sum"), pre=("pre_rev", "sum"), before=("before", "sum"),
    ).reset_index()
    oracle["conv"] = (oracle["orders"] > 0).astype(float)
    oracle["repeat"] = oracle["conv"].where(oracle["before"] > 0)

    result = analyze.analyze_experiment(con, "r", w, pre)
    table = result.table.set_index(["metric", "variant"])
    arms = {v: oracle[oracle["variant"] == v] for v in ["control", "A", "B"]}
    c = arms["control"]
    for v in ("A", "B"):
        t = arms[v]
        for metric, col in (("orders_per_customer", "orders"), ("revenue_per_customer", "revenue")):
            row = table.loc[(metric, v)]
            assert row["value"] == pytest.approx(t[col].mean())
            assert row["lift"] == pytest.approx(t[col].mean() - c[col].mean())
            assert row["p_value"] == pytest.approx(sps.ttest_ind(t[col], c[col], equal_var=False).pvalue)
        for metric, col in (("conversion", "conv"), ("repeat_rate", "repeat")):
            tt, cc = t[col].dropna(), c[col].dropna()
            row = table.loc[(metric, v)]
            assert row["customers"] == len(tt)
            cont = [[tt.sum(), len(tt) - tt.sum()], [cc.sum(), len(cc) - cc.sum()]]
            assert row["p_value"] == pytest.approx(sps.chi2_contingency(cont, correction=False).pvalue)
    # Holm over the two treatment arms, per metric
    p = [table.loc[("revenue_per_customer", v), "p_value"] for v in ("A", "B")]
    holm = [table.loc[("revenue_per_customer", v), "p_value_holm"] for v in ("A", "B")]
    assert holm == pytest.approx(list(stats.holm(p)))
    assert min(holm) == pytest.approx(min(1.0, 2 * min(p)))
    # CUPED: theta pooled over the arms, from numpy directly
    x, y = oracle["pre"].to_numpy(), oracle["revenue"].to_numpy()
    theta = np.cov(x, y, ddof=0)[0, 1] / np.var(x)
    assert result.cuped["theta"] == pytest.approx(theta)
    adj = oracle.assign(adj=y - theta * (x - x.mean()))
    row = table.loc[("revenue_per_customer_cuped", "A")]
    assert row["p_value"] == pytest.approx(
        sps.ttest_ind(adj.loc[adj["variant"] == "A", "adj"], adj.loc[adj["variant"] == "control", "adj"],
                      equal_var=False).pvalue)


def test_cumulative_ends_at_the_table_values(random_db):
    con = random_db[0]
    result = analyze.analyze_experiment(con, "r", 30, 180)
    cum = analyze.cumulative(con, result)
    last = cum[cum["day"] == 29].set_index("variant")
    table = result.table.set_index(["metric", "variant"])
    for metric in ("conversion", "orders_per_customer", "revenue_per_customer"):
        for v in result.variants:
            assert last.loc[v, metric] == pytest.approx(table.loc[(metric, v), "value"])
    assert (cum.groupby("variant")["revenue_per_customer"].diff().dropna() >= -1e-9).all()


def test_segment_table_is_exploratory_and_complete(random_db):
    con = random_db[0]
    result = analyze.analyze_experiment(con, "r", 30, 180)
    seg, source = analyze.segment_table(con, result)
    assert set(seg["split"]) == {"rfm_segment", "customer_type"}
    types = seg[(seg["split"] == "customer_type") & (seg["metric"] == "conversion") & (seg["variant"] == "A")]
    assert types["customers"].sum() == (result.customers["variant"] == "A").sum()
    assert source in {"metrics", "experiments"}
