"""TIFU-KNN and UP-CF@r against a direct computation of the papers' formulas on a small case, and two disjoint
groups of customers that must stay apart."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recs.interactions import from_lines
from recs.models import get_model
from recs.rules import Rules

CUTOFF = pd.Timestamp("2024-03-01")
PRODUCTS = ["A", "B", "C", "D", "E", "F"]  # F: never bought
# customer -> baskets in time order (days before the cutoff, products)
BASKETS = {
    "c1": [(70, "AB"), (60, "A"), (50, "C"), (40, "AD"), (30, "B"), (20, "AE"), (10, "B")],
    "c2": [(45, "BC"), (15, "CD")],
    "c3": [(35, "A"), (25, "D"), (5, "AE")],
    "c4": [(33, "E")],
}


def data_of(baskets: dict[str, list[tuple[int, str]]], products: list[str]):
    rows = [(c, p, f"{c}-{n}", CUTOFF - pd.Timedelta(days=d)) for c, bs in baskets.items()
            for n, (d, items) in enumerate(bs) for p in items]
    lines = pd.DataFrame(rows, columns=["customer_id", "product_id", "order_id", "ordered_at"])
    prods = pd.DataFrame({"product_id": products, "name": products, "category": None, "is_product": True,
                          "in_stock": True, "unit_price": 1.0})
    return from_lines(lines, prods, CUTOFF)


def onehot(items: str) -> np.ndarray:
    v = np.zeros(len(PRODUCTS))
    v[[PRODUCTS.index(p) for p in items]] = 1.0
    return v


def tifu_vector(baskets: list[tuple[int, str]], m: int, rb: float, rg: float) -> np.ndarray:
    """The paper's decayed mean, written out with loops."""
    groups = np.array_split(np.arange(len(baskets)), min(m, len(baskets)))
    total = np.zeros(len(PRODUCTS))
    for j, group in enumerate(groups, start=1):
        inside = sum(rb ** (len(group) - i) * onehot(baskets[p][1]) for i, p in enumerate(group, start=1))
        total += rg ** (len(groups) - j) * inside / len(group)
    return total / len(groups)


def test_tifu_knn_equals_the_formula() -> None:
    data = data_of(BASKETS, PRODUCTS)
    m, rb, rg, alpha, k = 3, 0.8, 0.5, 0.6, 2
    model = get_model("tifu_knn", groups=m, basket_decay=rb, group_decay=rg, alpha=alpha, neighbors=k).fit(data)
    ids = list(data.customer_ids)
    vectors = np.array([tifu_vector(BASKETS[c], m, rb, rg) for c in ids])
    np.testing.assert_allclose(model.vectors_.toarray(), vectors, rtol=1e-6)
    want = []
    for u in range(len(ids)):
        dist = np.linalg.norm(vectors - vectors[u], axis=1)
        dist[u] = np.inf
        near = np.argsort(dist, kind="stable")[:k]
        want.append(alpha * vectors[u] + (1 - alpha) * vectors[near].mean(axis=0))
    np.testing.assert_allclose(model.score(np.arange(len(ids))), np.array(want), rtol=1e-5, atol=1e-7)


def test_upcf_equals_the_formula() -> None:
    data = data_of(BASKETS, PRODUCTS)
    r, alpha, q, k = 3, 0.3, 2.0, 3
    model = get_model("upcf", recency=r, alpha=alpha, locality=q, neighbors=k).fit(data)
    ids = list(data.customer_ids)
    pop = np.array([sum(onehot(items) for _, items in BASKETS[c][-r:]) / min(r, len(BASKETS[c])) for c in ids])
    bought = [set("".join(items for _, items in BASKETS[c])) for c in ids]
    want = []
    for u in range(len(ids)):
        sim = np.array([len(bought[u] & bought[v]) / (len(bought[u]) ** alpha * len(bought[v]) ** (1 - alpha))
                        for v in range(len(ids))])
        assert sim[u] == pytest.approx(1.0)
        near = sorted(range(len(ids)), key=lambda v: (-sim[v], v))[:k]
        want.append(sum(sim[v] ** q * pop[v] for v in near))
    np.testing.assert_allclose(model.score(np.arange(len(ids))), np.array(want), rtol=1e-5, atol=1e-7)


def two_groups():
    """Customers x0..x5 buy only a0..a4, y0..y5 only b0..b4; several orders each."""
    rng = np.random.default_rng(5)
    baskets = {}
    for prefix, cust in (("a", "x"), ("b", "y")):
        for c in range(6):
            baskets[f"{cust}{c}"] = [(int(d), "".join(f"{prefix}{p}," for p in rng.choice(5, 2, replace=False)))
                                     for d in sorted(rng.choice(np.arange(1, 90), 3, replace=False))[::-1]]
    rows = [(c, p, f"{c}-{n}", CUTOFF - pd.Timedelta(days=d)) for c, bs in baskets.items()
            for n, (d, items) in enumerate(bs) for p in items.strip(",").split(",")]
    lines = pd.DataFrame(rows, columns=["customer_id", "product_id", "order_id", "ordered_at"])
    products = [f"a{i}" for i in range(5)] + [f"b{i}" for i in range(5)]
    prods = pd.DataFrame({"product_id": products, "name": products, "category": None, "is_product": True,
                          "in_stock": True, "unit_price": 1.0})
    return from_lines(lines, prods, CUTOFF)


@pytest.mark.parametrize("name,params", [("tifu_knn", {"neighbors": 3}), ("upcf", {"neighbors": 50})])
def test_disjoint_groups_stay_apart(name: str, params: dict) -> None:
    data = two_groups()
    model = get_model(name, **params).fit(data)
    scores = model.score(np.arange(data.n_customers))
    own_group = np.array([c[0] == "x" for c in data.customer_ids])
    a_products = np.array([p.startswith("a") for p in data.product_ids])
    assert np.all(scores[np.ix_(own_group, ~a_products)] == 0)
    assert np.all(scores[np.ix_(~own_group, a_products)] == 0)
    recs = model.recommend(k=10, rules=Rules(exclude_purchased=False))
    positive = recs[recs.score > 0]
    assert (positive.customer_id.str[0].map({"x": "a", "y": "b"}) == positive.product_id.str[0]).all()


def test_reasons_name_own_orders_and_neighbours() -> None:
    data = data_of(BASKETS, PRODUCTS)
    model = get_model("tifu_knn", neighbors=2).fit(data)
    assert model.explain("c1", "B") == "Bought in 3 of their 7 orders, about every 2 orders"
    assert model.explain("c4", "A").startswith("Bought by ")
    assert model.explain("c4", "A").endswith("of the 2 customers whose baskets are most like theirs")
    upcf = get_model("upcf", neighbors=3).fit(data)
    assert upcf.explain("c2", "C") == "Bought in every one of their 2 orders"
