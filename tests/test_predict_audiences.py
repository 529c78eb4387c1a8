"""The predicted campaign audiences and "due to re-buy": the due product first, the holdout recorded, and a product
cycle that follows the dominant hump of a two-humped gap distribution."""

from __future__ import annotations

import shutil

import pandas as pd

from recs.cli import main
from recs.db import connect, refresh_derived
from recs.predict.rebuy import REBUY_COLUMNS, due_to_rebuy, product_cycles


def test_product_cycle_follows_the_dominant_hump():
    """Monthly for most, yearly for some: the median of all gaps (between the humps) would say neither."""
    gaps = pd.DataFrame({"product_id": "P", "gap": [28, 30, 31, 29, 30, 32, 30, 365, 360, 370, 366, 364]})
    assert 28 <= product_cycles(gaps)["P"] <= 32
    assert product_cycles(gaps.head(4)).empty  # fewer than 5 gaps: no product cycle


def test_due_to_rebuy_uses_the_customers_own_cycle(tmp_path):
    rows = [("a", "P1", f"2024-0{m}-01") for m in range(1, 6)]  # monthly, last on May 1: due about Jun 1
    rows += [("b", "P1", "2024-01-01"), ("b", "P1", "2024-01-15")]  # one gap of 14 days, long overdue
    rows += [("c", "P2", "2024-05-20"), ("c", "P2", "2024-05-25")]
    frame = pd.DataFrame(rows, columns=["customer_id", "product_id", "ordered_at"])
    frame["order_id"] = [f"o{i}" for i in range(len(frame))]
    con = connect(tmp_path / "shop.duckdb")
    con.register("src", frame)
    con.execute("INSERT INTO order_lines SELECT order_id, 1, customer_id, CAST(ordered_at AS TIMESTAMP), product_id, "
                "1.0, 2.0, 'completed', 'UK', 1 FROM src")
    refresh_derived(con)
    due = due_to_rebuy(con, "2024-05-28", 14)
    con.close()
    assert list(due.columns) == REBUY_COLUMNS
    mine = due.set_index(["customer_id", "product_id"])
    assert ("a", "P1") in mine.index and mine.loc[("a", "P1"), "cycle_from"] == "customer"
    assert mine.loc[("a", "P1"), "due_at"] in {"2024-05-31", "2024-06-01", "2024-06-02"}
    assert ("b", "P1") not in mine.index  # overdue by far more than half a cycle: lapsed, not due
    assert due["score"].between(0, 1).all()


def test_recommend_audiences_due_first_and_win_back_with_holdout(demo_db, tmp_path, capsys):
    shop = shutil.copy(demo_db, tmp_path / "shop.duckdb")
    due_csv, back_csv = tmp_path / "due.csv", tmp_path / "back.csv"
    assert main(["recommend", "--db", str(shop), "--model", "popular", "--k", "3", "--audience", "due to re-buy",
                 "--quiet", "--out", str(due_csv)]) == 0
    due = pd.read_csv(due_csv, dtype={"customer_id": str})
    firsts = due[due["rank"] == 1]
    assert len(firsts) > 100 and firsts["reason"].str.startswith("Due to re-buy").all()
    assert due.groupby("customer_id")["rank"].max().le(3).all()
    assert not due.duplicated(["customer_id", "product_id"]).any()

    assert main(["recommend", "--db", str(shop), "--model", "popular", "--k", "2", "--audience",
                 "win-back: high value at risk", "--holdout", "0.2", "--experiment", "winback", "--out",
                 str(back_csv)]) == 0
    back = pd.read_csv(back_csv, dtype={"customer_id": str})
    con = connect(shop, read_only=True)
    assigned = con.execute("SELECT variant, count(*) FROM assignments WHERE experiment_id = 'winback' "
                           "GROUP BY variant").fetchall()
    con.close()
    counts = dict(assigned)
    assert counts["treatment"] == back["customer_id"].nunique() and counts["control"] > 0
    capsys.readouterr()
    assert main(["recommend", "--db", str(shop), "--model", "popular", "--audience", "lapsed", "--out", "-"]) == 2
    assert "unknown audience 'lapsed'" in capsys.readouterr().err
