"""The hybrid re-ranker: learns only from data before its cutoff, its tree ensemble matches scikit-learn,
its explanations name a signal; the als/bpr wrappers are seeded."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier
from test_evaluation import CUTOFF, day, make_db, shop_rows

from recs.db import connect
from recs.interactions import build_interactions
from recs.models import _hybrid_features as hf
from recs.models import get_model
from recs.rules import Rules

SIGNALS = ("Buy-again signal", "Collaborative signal", "Popularity signal")


def fit_hybrid(path: Path, until: object) -> tuple:
    with connect(path) as con:
        data = build_interactions(con, until=until)
    model = get_model("hybrid", windows=2, window_days=30, max_iter=30).fit(data)
    return model, model.recommend(k=5, rules=Rules(exclude_purchased=False), reasons=False)


def test_hybrid_ignores_everything_at_or_after_its_cutoff(tmp_path: Path) -> None:
    before = [r for r in shop_rows(seed=5, customers=30) if r[3] < CUTOFF]
    # after the cutoff every customer suddenly buys only "z*" products, many times
    after = [(f"c{c:02d}", f"z{i}", f"late{c}-{n}", day(1 + n)) for c in range(30) for n in range(4) for i in range(3)]
    a = make_db(tmp_path / "a.duckdb", before, extra_products=("z0", "z1", "z2"))
    b = make_db(tmp_path / "b.duckdb", before + after)
    model_a, recs_a = fit_hybrid(a, CUTOFF)
    _, recs_b = fit_hybrid(b, CUTOFF)
    pd.testing.assert_frame_equal(recs_a, recs_b)
    assert model_a.trained_rows_ > 0 and len(model_a.tree_offsets_) > 1  # it really learned trees
    # the post-cutoff data would change the answer if it leaked: trained on everything, z* products appear
    _, recs_all = fit_hybrid(b, None)
    assert recs_all["product_id"].str.startswith("z").any()
    assert not recs_b["product_id"].str.startswith("z").any()


def test_tree_arrays_predict_like_scikit_learn() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(600, 5))
    x[rng.random(x.shape) < 0.1] = np.nan
    y = (np.nan_to_num(x[:, 0]) + 0.5 * np.nan_to_num(x[:, 1], nan=2.0) > 0.3).astype(int)
    clf = HistGradientBoostingClassifier(max_iter=25, random_state=0).fit(x, y)
    test = rng.normal(size=(3 * hf.TREE_BLOCK + 17, 5))  # several blocks: the two-thread traversal is used
    test[rng.random(test.shape) < 0.1] = np.nan
    for fast in (True, False):  # scikit-learn's compiled traversal on rebuilt trees, and the numpy fallback
        np.testing.assert_allclose(hf.tree_predict(hf.tree_arrays(clf), test, fast=fast),
                                   clf.decision_function(test), rtol=1e-9, atol=1e-9)


def test_candidate_batches_built_on_two_threads_equal_the_sequential_ones(tmp_path: Path) -> None:
    path = make_db(tmp_path / "shop.duckdb", [r for r in shop_rows(seed=4, customers=30) if r[3] < CUTOFF])
    model, _ = fit_hybrid(path, CUTOFF)
    state, rows = model._live_state(), np.arange(model.data_.n_customers)
    one = list(model._batches(state, rows, size=4, threads=1))
    two = list(model._batches(state, rows, size=4, threads=2))
    assert len(one) == len(two) == -(-len(rows) // 4)
    for a, b in zip(one, two, strict=True):
        assert a[0] == b[0]
        for x, y in zip(a[1:], b[1:], strict=True):
            np.testing.assert_array_equal(x, y)


def test_reasons_reusing_the_scoring_features_equal_rebuilt_ones(tmp_path: Path) -> None:
    path = make_db(tmp_path / "shop.duckdb", [r for r in shop_rows(seed=6, customers=30) if r[3] < CUTOFF])
    model, _ = fit_hybrid(path, CUTOFF)
    rules = Rules(exclude_purchased=False)
    reused = model.recommend(k=5, rules=rules)  # every customer in row order: reasons reuse _score's features
    ids = list(model.data_.customer_ids)[::-1]   # another order: the reasons pass builds its own features
    rebuilt = model.recommend(ids, k=5, rules=rules)
    key = ["customer_id", "rank"]
    pd.testing.assert_frame_equal(reused.sort_values(key).reset_index(drop=True),
                                  rebuilt.sort_values(key).reset_index(drop=True))
    assert reused["reason"].str.startswith(SIGNALS).all() and reused["reason"].nunique() > 5


def test_hybrid_explains_with_a_named_signal(tmp_path: Path) -> None:
    path = make_db(tmp_path / "shop.duckdb", [r for r in shop_rows(seed=2, customers=30) if r[3] < CUTOFF])
    model, _ = fit_hybrid(path, CUTOFF)
    recs = model.recommend(["c01", "c02"], k=3)
    assert recs["reason"].str.startswith(SIGNALS).all(), recs["reason"].tolist()
    for customer, product in zip(recs["customer_id"], recs["product_id"], strict=True):
        assert model.explain(customer, product).startswith(SIGNALS)


@pytest.mark.parametrize("name", ["als", "bpr"])
def test_factor_models_are_seeded(tmp_path: Path, name: str) -> None:
    path = make_db(tmp_path / "shop.duckdb", [r for r in shop_rows(seed=3, customers=30) if r[3] < CUTOFF])
    with connect(path) as con:
        data = build_interactions(con, until=CUTOFF)
    one = get_model(name, seed=1, factors=8, iterations=10).fit(data)
    same = get_model(name, seed=1, factors=8, iterations=10).fit(data)
    other = get_model(name, seed=2, factors=8, iterations=10).fit(data)
    np.testing.assert_array_equal(one.item_factors_, same.item_factors_)
    assert not np.array_equal(one.item_factors_, other.item_factors_)
    pd.testing.assert_frame_equal(one.recommend(k=4), same.recommend(k=4))
    sim = one.similar_items("a0", k=3)
    assert len(sim) > 0 and "a0" not in set(sim["product_id"])


def test_item_stats_hand_computed() -> None:
    at = pd.Timestamp("2024-03-01")
    ev = pd.DataFrame({"row": [0, 0, 1, 2, 2], "col": [0, 0, 0, 1, 0], "order_id": ["o1", "o2", "o3", "o4", "o4"],
                       "ordered_at": [at - pd.Timedelta(days=d) for d in (100, 10, 40, 5, 5)]})
    buyers, rebuy, recent = hf.item_stats(ev, 3, at)
    # product 0: customers 0 (two orders, last 10 days ago), 1 (40 days ago), 2 (5 days ago); product 1: customer 2
    np.testing.assert_array_equal(buyers, [3, 1, 0])
    np.testing.assert_allclose(rebuy, [1 / 3, 0, 0])
    np.testing.assert_array_equal(recent, [2, 1, 0])


def test_hybrid_samples_at_most_max_customers_per_window(tmp_path: Path) -> None:
    path = make_db(tmp_path / "shop.duckdb", [r for r in shop_rows(seed=4, customers=40) if r[3] < CUTOFF])
    with connect(path) as con:
        data = build_interactions(con, until=CUTOFF)

    def fit(**params: object) -> tuple:
        model = get_model("hybrid", windows=2, window_days=30, max_iter=30, **params).fit(data)
        return model, model.recommend(k=5, rules=Rules(exclude_purchased=False), reasons=False)

    full, recs_full = fit()
    assert not full.sampled_ and full.window_customers_.max() > 12
    capped, recs_capped = fit(max_customers=12)
    assert capped.sampled_ and 0 < capped.window_customers_.max() <= 12
    assert capped.trained_rows_ < full.trained_rows_
    _, recs_again = fit(max_customers=12)
    pd.testing.assert_frame_equal(recs_capped, recs_again)  # the sample is seeded
    # every customer is still scored by the full model (sampling only shrinks what the re-ranker learns from)
    assert set(recs_capped["customer_id"]) == set(recs_full["customer_id"])
    _, recs_high = fit(max_customers=1000)  # above the customer count: exactly the unsampled model
    pd.testing.assert_frame_equal(recs_full, recs_high)


def test_approximate_events_keep_counts_and_last_purchase(tmp_path: Path) -> None:
    from recs.models.hybrid import approximate_events

    path = make_db(tmp_path / "shop.duckdb", [r for r in shop_rows(seed=6, customers=20) if r[3] < CUTOFF])
    with connect(path) as con:
        data = build_interactions(con, until=CUTOFF)
    ev = approximate_events(data)
    counts = data.counts.tocoo()
    per_cell = ev.groupby(["row", "col"]).agg(n=("order_id", "size"), last=("ordered_at", "max"))
    want = pd.Series(counts.data, index=pd.MultiIndex.from_arrays([counts.row, counts.col])).sort_index()
    np.testing.assert_array_equal(per_cell["n"].sort_index().to_numpy(), want.to_numpy())
    age = ((CUTOFF - per_cell["last"].sort_index()) / pd.Timedelta(days=1)).to_numpy()
    np.testing.assert_allclose(age, np.asarray(data.last_days[counts.row, counts.col]).ravel()[
        np.lexsort((counts.col, counts.row))], atol=1e-6)
    data.events = None  # a model trained from a matrix without purchase times still learns and recommends
    model = get_model("hybrid", windows=2, window_days=30, max_iter=20).fit(data)
    assert model.trained_rows_ > 0 and len(model.recommend(k=3, reasons=False)) > 0
