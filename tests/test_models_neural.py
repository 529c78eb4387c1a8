"""The neural models (gru4rec, ncf) on hand-made cases with a known answer; PyTorch loaded only to train; and the
four models of the next-basket/neural work trained from the Recommendations page (AppTest)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from streamlit.testing.v1 import AppTest

from recs.interactions import from_lines
from recs.models import get_model
from recs.rules import Rules
from tests.conftest import REPO

CUTOFF = pd.Timestamp("2024-03-01")


def build(rows: list[tuple[str, str, str, int]], products: list[str]):
    """rows: (customer, product, order id, days before the cutoff)."""
    lines = pd.DataFrame([(c, p, o, CUTOFF - pd.Timedelta(days=d)) for c, p, o, d in rows],
                         columns=["customer_id", "product_id", "order_id", "ordered_at"])
    prods = pd.DataFrame({"product_id": products, "name": products, "category": None, "is_product": True,
                          "in_stock": True, "unit_price": 1.0})
    return from_lines(lines, prods, CUTOFF)


def alternating():
    """Customers u00..u19 alternate A, B, A, B, ...; v00..v19 alternate C, D, ...; odd customers stop one order
    early, so half end on A (or C) and half on B (or D)."""
    rows = []
    for prefix, pair in (("u", "AB"), ("v", "CD")):
        for c in range(20):
            n = 8 - c % 2
            for t in range(n):
                rows.append((f"{prefix}{c:02d}", pair[t % 2], f"{prefix}{c}-{t}", 100 - 10 * t))
    return build(rows, ["A", "B", "C", "D", "E"])


def test_gru4rec_learns_b_after_a() -> None:
    data = alternating()
    model = get_model("gru4rec", factors=16, epochs=60, learning_rate=0.02, batch=8).fit(data)
    top = model.recommend(k=1, rules=Rules(exclude_purchased=False)).set_index("customer_id")["product_id"]
    for customer, product in top.items():
        last = "AB"[(8 - int(customer[1:]) % 2 - 1) % 2] if customer[0] == "u" else \
            "CD"[(8 - int(customer[1:]) % 2 - 1) % 2]
        want = {"A": "B", "B": "A", "C": "D", "D": "C"}[last]
        assert product == want, (customer, last, product)


def two_groups():
    """Group A (a0..a5) bought only by x00..x19, group B (b0..b5) only by y00..y19; 3 of 6 products each."""
    rng = np.random.default_rng(3)
    rows = []
    for prefix, cust in (("a", "x"), ("b", "y")):
        for c in range(20):
            for p in rng.choice(6, size=3, replace=False):
                rows.append((f"{cust}{c:02d}", f"{prefix}{p}", f"{cust}{c}-{p}", int(rng.integers(1, 60))))
    return build(rows, [f"a{i}" for i in range(6)] + [f"b{i}" for i in range(6)])


def test_ncf_keeps_disjoint_groups_apart() -> None:
    data = two_groups()
    model = get_model("ncf", factors=16, epochs=20, batch=64, l2=1e-4).fit(data)
    scores = model.score(np.arange(data.n_customers))
    bought = data.matrix.toarray() > 0
    for u, customer in enumerate(data.customer_ids):
        own = np.array([p[0] == {"x": "a", "y": "b"}[customer[0]] for p in data.product_ids])
        assert scores[u, own & ~bought[u]].mean() > scores[u, ~own].mean(), customer
    recs = model.recommend(k=3)
    group = recs.customer_id.str[0].map({"x": "a", "y": "b"})
    assert (group == recs.product_id.str[0]).mean() >= 0.95
    assert (recs[recs["rank"] == 1].product_id.str[0] == group[recs["rank"] == 1]).all()
    assert model.similar_items("a0", k=3).product_id.str.startswith("a").all()
    assert "in the learned embedding" in recs.reason.iloc[0]


def test_pytorch_is_loaded_only_to_train(tmp_path: Path) -> None:
    model = get_model("ncf", factors=4, epochs=1).fit(two_groups())
    model.save(tmp_path / "ncf.npz")
    code = ("import sys; import recs.models; from recs.models.base import Recommender; "
            f"m = Recommender.load({str(tmp_path / 'ncf.npz')!r}); m.recommend(k=2); m.explain('x00', 'a1'); "
            "print('torch' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


FAST = {"gru4rec": {"epochs": 1, "max_customers": 300}, "ncf": {"epochs": 1, "max_pairs": 5000}}


def test_train_each_from_the_recommendations_page(demo_db: Path, tmp_path: Path, use_db) -> None:
    use_db(Path(shutil.copy(demo_db, tmp_path / "shop.duckdb")))
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=180)
    at.switch_page("pages/recommendations.py")
    at.run()
    for name in ("tifu_knn", "upcf", "gru4rec", "ncf"):
        at.selectbox(key="train-model").set_value(name)
        at.run()
        for param, value in FAST.get(name, {}).items():
            at.number_input(key=f"train-{name}-{param}").set_value(value)
        at.run()
        at.button(key="train-button").click()
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        assert not at.error, [e.value for e in at.error]
        assert {m.label: m.value for m in at.metric}["Model"] == name
        assert any(f"Trained **{name}**" in s.value for s in at.success)
