"""Small hand-made cases whose right answer is known without running our code."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recs.interactions import from_lines
from recs.models import get_model
from recs.rules import Rules

CUTOFF = pd.Timestamp("2024-03-01")


def build(rows: list[tuple[str, str, str, int]], products: list[str], names: list[str] | None = None,
          weighting: str = "binary"):
    """rows: (customer, product, order id, days before the cutoff)."""
    lines = pd.DataFrame([(c, p, o, CUTOFF - pd.Timedelta(days=d)) for c, p, o, d in rows],
                         columns=["customer_id", "product_id", "order_id", "ordered_at"])
    prods = pd.DataFrame({"product_id": products, "name": names or products, "category": None,
                          "is_product": True, "in_stock": True, "unit_price": 1.0})
    return from_lines(lines, prods, CUTOFF, weighting=weighting)


def two_groups():
    """Group A (a0..a4) bought only by customers x00..x11, group B (b0..b4) only by y00..y11; inside a group
    every customer buys 3 of the 5 products (all pairs co-occur)."""
    rng = np.random.default_rng(3)
    rows = []
    for prefix, cust in (("a", "x"), ("b", "y")):
        for c in range(12):
            for p in rng.choice(5, size=3, replace=False):
                rows.append((f"{cust}{c:02d}", f"{prefix}{p}", f"{cust}{c}-{p}", int(rng.integers(1, 60))))
    rows += [("xq", "a0", "q1", 5), ("xq", "a1", "q2", 9), ("yq", "b3", "q3", 4), ("yq", "b4", "q4", 8)]
    products = [f"a{i}" for i in range(5)] + [f"b{i}" for i in range(5)]
    return build(rows, products)


@pytest.mark.parametrize("name,params", [("item_knn", {}), ("item_knn", {"similarity": "jaccard"}),
                                         ("user_knn", {}), ("ease", {"l2": 10.0}), ("svd", {"factors": 4}),
                                         ("nmf", {"factors": 2})])
def test_recommendations_stay_in_the_customers_group(name: str, params: dict) -> None:
    # (EASE weights can be negative; with a tiny l2 a group product may score below the other group's 0)
    model = get_model(name, **params).fit(two_groups())
    recs = model.recommend(["xq", "yq"], k=3)
    assert set(recs[recs.customer_id == "xq"].product_id) == {"a2", "a3", "a4"}
    assert set(recs[recs.customer_id == "yq"].product_id) == {"b0", "b1", "b2"}
    sim = model.similar_items("a0", k=3)
    assert sim.product_id.str.startswith("a").all()


def test_repeat_ranks_the_most_bought_product_first() -> None:
    rows = [("u", "x", f"o{i}", 10 + i) for i in range(5)]  # x: 5 orders
    rows += [("u", "y", "o10", 11), ("u", "y", "o11", 12)]  # y: 2 orders
    rows += [("u", "z", "o12", 10)]  # z: 1 order
    rows += [("v", "w", "o20", 3), ("t", "w", "o21", 4), ("t", "z", "o22", 4)]  # w: the popular one
    data = build(rows, ["w", "x", "y", "z", "never"])
    model = get_model("repeat", cycle_weight=0.0, popularity_weight=0.0).fit(data)
    recs = model.recommend(["u"], k=5, rules=Rules(exclude_purchased=False))
    assert recs.product_id.tolist()[:4] == ["x", "y", "z", "w"]
    default = get_model("repeat").fit(data).recommend(["u"], k=4, rules=Rules(exclude_purchased=False))
    assert default.product_id.iloc[0] == "x" and set(default.product_id.iloc[:3]) == {"x", "y", "z"}
    assert model.explain("u", "x").startswith("Bought 5 times")
    assert "last bought 10 days ago" in model.explain("u", "x")
    assert model.recommend(["u"], k=2).product_id.tolist() == ["w", "never"]  # purchased excluded -> popular


def test_repeat_explains_the_cycle_and_prefers_due_products() -> None:
    # p is re-bought every 10 days by everyone; q every 40 days. u last bought p 10 days ago (due) and
    # q 10 days ago (not due): with equal counts the due one wins.
    rows = []
    for c in ("a", "b", "u"):
        rows += [(c, "p", f"{c}p1", 30), (c, "p", f"{c}p2", 20), (c, "p", f"{c}p3", 10)]
        rows += [(c, "q", f"{c}q1", 90), (c, "q", f"{c}q2", 50), (c, "q", f"{c}q3", 10)]
    data = build(rows, ["p", "q"])
    assert data.products.set_index("product_id")["repurchase_days"].to_dict() == {"p": 10.0, "q": 40.0}
    model = get_model("repeat").fit(data)
    recs = model.recommend(["u"], k=2, rules=Rules(exclude_purchased=False))
    assert recs.product_id.tolist() == ["p", "q"]
    assert model.explain("u", "p") == "Bought 3 times, usually every 10 days; last bought 10 days ago"


def test_popular_ranks_by_buyers_and_recency() -> None:
    rows = [(f"c{i}", "big", f"o{i}", 100) for i in range(5)]  # 5 buyers, long ago
    rows += [(f"d{i}", "mid", f"m{i}", 2) for i in range(3)]  # 3 buyers, recent
    rows += [("e", "small", "s1", 1)]
    data = build(rows, ["big", "mid", "small"])
    counts = get_model("popular", half_life_days=0.0).fit(data).recommend(["new"], k=3)
    assert counts.product_id.tolist() == ["big", "mid", "small"]
    assert counts.score.tolist() == [5.0, 3.0, 1.0]
    recent = get_model("popular", half_life_days=10.0).fit(data).recommend(["new"], k=3)
    # by hand: big 5 * 0.5**10 = 0.0049; mid 3 * 0.5**0.2 = 2.61; small 0.5**0.1 = 0.933
    assert recent.product_id.tolist() == ["mid", "small", "big"]
    assert recent.score.iloc[0] == pytest.approx(3 * 0.5**0.2, rel=1e-5)


def test_item_knn_similarity_by_hand() -> None:
    # p1 bought by a, b; p2 by a, b, c; p3 by c only
    rows = [("a", "p1", "1", 5), ("b", "p1", "2", 5), ("a", "p2", "3", 5), ("b", "p2", "4", 5), ("c", "p2", "5", 5),
            ("c", "p3", "6", 5)]
    data = build(rows, ["p1", "p2", "p3"])
    cos = get_model("item_knn", shrink=0.0).fit(data).similar_items("p1", 2)
    assert cos.product_id.tolist() == ["p2"]
    assert cos.score.iloc[0] == pytest.approx(2 / np.sqrt(2 * 3), rel=1e-5)
    shrunk = get_model("item_knn", shrink=4.0).fit(data).similar_items("p1", 2)
    assert shrunk.score.iloc[0] == pytest.approx(2 / (np.sqrt(6) + 4), rel=1e-5)
    jac = get_model("item_knn", shrink=0.0, similarity="jaccard").fit(data).similar_items("p2", 2)
    assert jac.set_index("product_id").score.to_dict() == pytest.approx({"p1": 2 / 3, "p3": 1 / 3})
    model = get_model("item_knn", shrink=0.0).fit(data)
    # c bought p2 and p3: score(p1) = cos(p2, p1) * 1 + cos(p3, p1) * 1 = 0.8165
    recs = model.recommend(["c"], k=1)
    assert recs.product_id.tolist() == ["p1"] and recs.score.iloc[0] == pytest.approx(2 / np.sqrt(6), rel=1e-5)
    assert model.explain("c", "p1") == "Because they bought p2 (bought by the same customers)"


def test_content_recommends_a_never_bought_product_by_name() -> None:
    rows = [("a", "m1", "1", 5), ("b", "h1", "2", 5), ("b", "g1", "3", 5)]
    data = build(rows, ["m1", "m2", "h1", "g1"], names=["red ceramic mug", "blue ceramic mug", "garden hose",
                                                       "garden gloves"])
    model = get_model("content").fit(data)
    recs = model.recommend(["a"], k=1)
    assert recs.product_id.tolist() == ["m2"]
    assert model.explain("a", "m2") == "Because they bought red ceramic mug (similar names or category)"


def test_ease_stays_in_group_and_explains_with_purchases() -> None:
    model = get_model("ease", l2=10.0).fit(two_groups())
    text = model.explain("xq", "a2")
    assert text.startswith("Because they bought") and ("a0" in text or "a1" in text)


def test_parameters_are_coerced_and_checked() -> None:
    from recs.errors import InputError

    assert get_model("item_knn", neighbors="50.0", shrink="0").get_params() == {
        "neighbors": 50, "shrink": 0.0, "similarity": "cosine"}
    for bad, words in [({"neighbors": "5.5"}, "not a valid int"), ({"neighbors": 0}, "outside"),
                       ({"similarity": "euclid"}, "not one of cosine, jaccard"), ({"shrink": "nan"}, "finite")]:
        with pytest.raises(InputError, match=words):
            get_model("item_knn", **bad)
    with pytest.raises(InputError, match="unknown model 'knn'; known models: popular, repeat"):
        get_model("knn")
