"""Is learning online worth it? Replay a test window day by day and predict each customer's next order three ways.

For each day of the window (BENCH_ONLINE_DAYS, default 14, ending at the shop's last day; Online Retail ends on
2011-11-30), every customer who orders that day has their first order of the day predicted (top 10) by:
(a) frozen: the model fitted at the window's start, history as of the start;
(b) incremental: the same model with every order since the start folded in through the service's own path
    (`recs.service.online.recommend_online`: item-based models rescore the updated history, factor models
    recompute the customer's factors);
(c) nightly: the model refitted on all lines before that day.
NDCG@10 of that order's products in both modes: "new" (products the customer never bought before the day; the
list excludes purchased products) and "all" (every product of the order; purchased products allowed). Per day and
overall, with the cost: fit seconds and list seconds per strategy. Models: BENCH_ONLINE_MODELS (default
item_knn,als). Shops: the demo shop and Online Retail.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from bench._util import load_average, table
from recs.db import connect
from recs.evaluation.metrics import ranking_scores
from recs.evaluation.training_data import load_lines
from recs.interactions import from_lines
from recs.models import get_class
from recs.rules import Rules
from recs.service.online import FoldCache, Purchase, recommend_online

REPO = Path(__file__).resolve().parents[1]
RETAIL = REPO.parent / "shared" / "datasets" / "online-retail" / "online_retail.parquet"
DAYS = int(os.environ.get("BENCH_ONLINE_DAYS", "14"))
MODELS = [m for m in os.environ.get("BENCH_ONLINE_MODELS", "item_knn,als").split(",") if m]
K = 10
MODES = {"new": Rules(exclude_purchased=True), "all": Rules(exclude_purchased=False)}


def fit(name: str, lines: pd.DataFrame, products: pd.DataFrame, cutoff: pd.Timestamp) -> tuple[object, float]:
    cls = get_class(name)
    data = from_lines(lines[lines["ordered_at"] < cutoff], products, cutoff, weighting=cls.default_weighting)
    start = time.perf_counter()
    model = cls().fit(data)
    return model, time.perf_counter() - start


def day_cases(lines: pd.DataFrame, day: pd.Timestamp) -> dict[str, tuple[set[str], set[str]]]:
    """customer -> (products of their first order that day, products they bought before the day)."""
    today = lines[(lines["ordered_at"] >= day) & (lines["ordered_at"] < day + pd.Timedelta(days=1))]
    first = today.sort_values(["ordered_at", "order_id"]).groupby("customer_id")["order_id"].first()
    bought = today[today["order_id"].isin(set(first))].groupby("customer_id")["product_id"].agg(set)
    before = lines[(lines["ordered_at"] < day) & lines["customer_id"].isin(bought.index)]
    history = before.groupby("customer_id")["product_id"].agg(set)
    return {c: (set(bought[c]), set(history.get(c, set()))) for c in bought.index}


def ndcg(lists: dict[str, list[str]], cases: dict, mode: str) -> list[float]:
    out = []
    for customer, (order, before) in cases.items():
        relevant = order - before if mode == "new" else order
        if relevant:
            out.append(ranking_scores(lists.get(customer, []), relevant, K)["ndcg"])
    return out


def as_lists(frame: pd.DataFrame) -> dict[str, list[str]]:
    return frame.groupby("customer_id", sort=False)["product_id"].agg(list).to_dict()


def replay(shop: str, db: Path, name: str, end: pd.Timestamp) -> tuple[list[dict], dict]:
    start_day = end - pd.Timedelta(days=DAYS)
    con = connect(db, read_only=True)
    try:
        lines, products = load_lines(con, end)
    finally:
        con.close()
    lines["customer_id"] = lines["customer_id"].astype(str)
    lines["product_id"] = lines["product_id"].astype(str)
    lines["order_id"] = lines["order_id"].astype(str)
    lines["ordered_at"] = pd.to_datetime(lines["ordered_at"])
    frozen, frozen_fit = fit(name, lines, products, start_day)
    cost = {"frozen": [frozen_fit, 0.0], "incremental": [frozen_fit, 0.0], "nightly": [0.0, 0.0]}
    scores: dict[tuple[str, str], list[float]] = {(s, m): [] for s in cost for m in MODES}
    rows = []
    cache = FoldCache(size=100_000)
    for d in range(DAYS):
        day = start_day + pd.Timedelta(days=d)
        cases = day_cases(lines, day)
        if not cases:
            continue
        customers = list(cases)
        nightly, nightly_fit = (frozen, 0.0) if d == 0 else fit(name, lines, products, day)
        cost["nightly"][0] += nightly_fit if d else frozen_fit
        since = lines[(lines["ordered_at"] >= start_day) & (lines["ordered_at"] < day)
                      & lines["customer_id"].isin(customers)]
        posted = {c: tuple(Purchase(p, o, "", 0) for p, o in zip(g["product_id"], g["order_id"], strict=True))
                  for c, g in since.groupby("customer_id")}
        row = {"shop": shop, "model": name, "day": f"{day:%Y-%m-%d}", "customers": len(cases)}
        for mode, rules in MODES.items():
            t0 = time.perf_counter()
            frozen_lists = as_lists(frozen.recommend(customers, k=K, rules=rules))
            t1 = time.perf_counter()
            incremental = {c: recommend_online(frozen, c, K, rules, posted.get(c, ()), cache, (mode, day))
                           ["product_id"].tolist() for c in customers}
            t2 = time.perf_counter()
            nightly_lists = as_lists(nightly.recommend(customers, k=K, rules=rules))
            t3 = time.perf_counter()
            cost["frozen"][1] += t1 - t0
            cost["incremental"][1] += t2 - t1
            cost["nightly"][1] += t3 - t2
            for strategy, lists in (("frozen", frozen_lists), ("incremental", incremental),
                                    ("nightly", nightly_lists)):
                values = ndcg(lists, cases, mode)
                scores[(strategy, mode)].extend(values)
                row[f"{mode}_{strategy}"] = round(float(np.mean(values)), 4) if values else None
        rows.append(row)
    overall = {"shop": shop, "model": name, "days": len(rows),
               "cases": sum(r["customers"] for r in rows)}
    for (strategy, mode), values in scores.items():
        overall[f"{mode}_{strategy}"] = round(float(np.mean(values)), 4) if values else None
    for strategy, (fit_s, list_s) in cost.items():
        overall[f"{strategy}_fit_s"] = round(fit_s, 1)
        overall[f"{strategy}_lists_s"] = round(list_s, 1)
    return rows, overall


def shops(folder: Path) -> list[tuple[str, Path, pd.Timestamp]]:
    from recs.demo import generate_demo
    from recs.importer import import_files

    demo = folder / "demo.duckdb"
    con = connect(demo)
    generate_demo(con)
    end = pd.Timestamp(con.execute("SELECT max(ordered_at) FROM orders").fetchall()[0][0]).normalize()
    con.close()
    out = [("demo", demo, end)]
    if RETAIL.exists():
        retail = folder / "retail.duckdb"
        con = connect(retail)
        import_files(con, orders=RETAIL, fmt="online-retail")
        con.close()
        out.append(("online-retail", retail, pd.Timestamp("2011-11-30")))
    return out


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        per_day, overall = [], []
        for shop, db, end in shops(Path(tmp)):
            for name in MODELS:
                rows, total = replay(shop, db, name, end)
                per_day += rows
                overall.append(total)
    print(f"NDCG@10 of each customer's next order, {DAYS} days replayed; load average {load_average()}")
    print(table(per_day))
    print()
    print(table(overall))


if __name__ == "__main__":
    main()
