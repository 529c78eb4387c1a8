"""The hybrid re-ranker: learns only from data before its cutoff, its tree ensemble matches scikit-learn (and the
one module reading scikit-learn's internals fails loudly when they change), features are named, its explanations
name a signal and reuse scoring's features, its base models are saved through their own state; the als/bpr
wrappers are seeded."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier
from test_evaluation import CUTOFF, day, make_db, shop_rows

from recs.db import connect
from recs.interactions import build_interactions
from recs.models import Recommender, get_model
from recs.models import _hybrid_features as hf
from recs.models import _sklearn_trees as trees
from recs.models._hybrid_rebuy import rebuy_matrices
from recs.models._hybrid_windows import approximate_events
from recs.predict import due_to_rebuy
from recs.rules import Rules

SIGNALS = ("Buy-again signal", "Collaborative signal", "Popularity signal")


def fit_hybrid(path: Path, until: object, **params: object) -> tuple:
    with connect(path) as con:
        data = build_interactions(con, until=until)
    model = get_model("hybrid", windows=2, window_days=30, max_iter=30, **params).fit(data)
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


def features_state(model: Recommender) -> hf.State:
    """The features' state at the model's cutoff, from its public fitted attributes."""
    due = (model.due_scores_, model.due_cycles_) if model.rebuy_feature else None
    return hf.State(model.data_, model.customer_orders_, model.customer_first_, model.customer_last_, model.bases_,
                    model.habit_pairs_, model.habit_decay_, model.habit_orders_, due=due)


def test_sklearn_tree_internals_still_match_predict_proba(retail_db: Path) -> None:
    """The one place that reads scikit-learn's private tree API (recs/models/_sklearn_trees.py) against the public
    predictions, on the hybrid's real features (Online Retail candidates labelled by the next 30 days'
    purchases, missing values included): when scikit-learn changes its internals, this fails."""
    cutoff = pd.Timestamp("2011-09-01")
    with connect(retail_db) as con:
        data = build_interactions(con, until=cutoff)
        later = build_interactions(con, until=cutoff + pd.Timedelta(days=30))
    ev = data.events
    state = hf.State(data, *hf.customer_stats(data, ev), {"item_knn": get_model("item_knn").fit(data)},
                     *hf.habit_stats(data, ev))
    rows = np.arange(0, data.n_customers, 3)
    r, c, x = hf.candidates_and_features(state, rows, 30, 20)
    x = x[:, ~np.isnan(x).all(axis=0)]  # the base models left out here
    recent = later.last_days.tocoo()
    bought = recent.data <= 30
    pairs = set(zip(later.customer_ids[recent.row[bought]], later.product_ids[recent.col[bought]], strict=True))
    y = np.array([(cid, pid) in pairs for cid, pid in zip(data.customer_ids[rows[r]], data.product_ids[c],
                                                          strict=True)])
    assert 0 < y.sum() < len(y) and np.isnan(x).any()
    train = np.arange(len(y)) % 2 == 0
    clf = HistGradientBoostingClassifier(max_iter=40, random_state=0).fit(x[train], y[train])
    arrays = trees.tree_arrays(clf)
    test = x[~train]
    assert len(test) > 3 * trees.TREE_BLOCK  # several blocks: the two-thread traversal is used
    raw = trees.predict_raw(arrays, trees.compile_trees(arrays), test)
    np.testing.assert_allclose(raw, clf.decision_function(test), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(1.0 / (1.0 + np.exp(-raw)), clf.predict_proba(test)[:, 1], rtol=1e-12, atol=1e-12)


def test_sklearn_tree_internals_missing_fail_loudly() -> None:
    with pytest.raises(trees.SklearnTreesChanged, match="recs/models/_sklearn_trees.py"):
        trees.tree_arrays(HistGradientBoostingClassifier())  # not fitted: no _predictors
    arrays = trees.empty_arrays()
    arrays.update(offsets=np.array([0, 1]), value=np.zeros(1), leaf=np.ones(1, bool))
    with pytest.raises(trees.SklearnTreesChanged):
        trees.predict_raw(arrays, [object()], np.zeros((2, 3)))  # a predictor that cannot predict


def test_features_are_named_once_and_every_one_is_filled(tmp_path: Path) -> None:
    assert len(set(hf.FEATURES)) == hf.N_FEATURES == len(hf.COLUMN)
    grouped = [name for names in hf.GROUPS.values() for name in names]
    assert sorted(grouped) == sorted(hf.FEATURES)  # every feature in exactly one signal group
    path = make_db(tmp_path / "shop.duckdb", [r for r in shop_rows(seed=4, customers=30) if r[3] < CUTOFF])
    model, _ = fit_hybrid(path, CUTOFF, rebuy_feature=True, upcf_feature=True)  # the optional features too
    rows = np.arange(model.data_.n_customers)
    r, c, f = hf.candidates_and_features(features_state(model), rows, 60, 40)
    empty = [name for name in hf.FEATURES if not np.isfinite(f[:, hf.COLUMN[name]]).any()]
    assert not empty
    np.testing.assert_array_equal(f[:, hf.COLUMN["own_orders"]], model.data_.counts[rows[r], c].A1)


def test_candidate_batches_built_on_two_threads_equal_the_sequential_ones(tmp_path: Path) -> None:
    path = make_db(tmp_path / "shop.duckdb", [r for r in shop_rows(seed=4, customers=30) if r[3] < CUTOFF])
    model, _ = fit_hybrid(path, CUTOFF)
    state, rows = features_state(model), np.arange(model.data_.n_customers)
    one = list(hf.candidate_batches(state, rows, 60, 40, size=4, threads=1))
    two = list(hf.candidate_batches(state, rows, 60, 40, size=4, threads=2))
    assert len(one) == len(two) == -(-len(rows) // 4)
    for a, b in zip(one, two, strict=True):
        assert a[0] == b[0]
        for x, y in zip(a[1:], b[1:], strict=True):
            np.testing.assert_array_equal(x, y)


def test_reasons_reusing_the_scoring_features_equal_rebuilt_ones(tmp_path: Path) -> None:
    path = make_db(tmp_path / "shop.duckdb", [r for r in shop_rows(seed=6, customers=30) if r[3] < CUTOFF])
    model, _ = fit_hybrid(path, CUTOFF)
    rows = np.arange(model.data_.n_customers)[::-1]
    scores, context = model.score_with_context(rows)
    np.testing.assert_array_equal(scores, model.score(rows))
    idx = np.argsort(-scores, axis=1, kind="stable")[:, :5]
    counts = np.full(len(rows), 5)
    reused = model.reasons(rows, idx, counts, context)  # the features scoring just built
    rebuilt = model.reasons(rows, idx, counts, None)    # built again for these customers
    assert reused == rebuilt
    assert all(t.startswith(SIGNALS) for t in reused) and len(set(reused)) > 5
    other = model.score_with_context(rows[:3])[1]       # a context of other rows is not used
    assert model.reasons(rows, idx, counts, other) == rebuilt


def test_hybrid_explains_with_a_named_signal(tmp_path: Path) -> None:
    path = make_db(tmp_path / "shop.duckdb", [r for r in shop_rows(seed=2, customers=30) if r[3] < CUTOFF])
    model, _ = fit_hybrid(path, CUTOFF)
    recs = model.recommend(["c01", "c02"], k=3)
    assert recs["reason"].str.startswith(SIGNALS).all(), recs["reason"].tolist()
    for customer, product, reason in zip(recs["customer_id"], recs["product_id"], recs["reason"], strict=True):
        assert model.explain(customer, product) == reason  # one customer's features rebuilt: the same words


def test_hybrid_saves_its_base_models_through_their_own_state(tmp_path: Path) -> None:
    path = make_db(tmp_path / "shop.duckdb", [r for r in shop_rows(seed=2, customers=30) if r[3] < CUTOFF])
    model, _ = fit_hybrid(path, CUTOFF)
    assert set(model.bases_) == set(hf.BASES)
    model.save(tmp_path / "hybrid.npz")
    with np.load(tmp_path / "hybrid.npz", allow_pickle=False) as z:
        assert not [key for key in z.files if "base_" in key]  # no copies of the base models' attributes
        assert any(key.startswith("m.bases_/ease/") for key in z.files)
    loaded = Recommender.load(tmp_path / "hybrid.npz")
    assert {name: type(m) for name, m in loaded.bases_.items()} == {name: type(m) for name, m in model.bases_.items()}
    assert all(m.data_ is loaded.data_ for m in loaded.bases_.values())
    rules = Rules(exclude_purchased=False)
    pd.testing.assert_frame_equal(loaded.recommend(k=5, rules=rules), model.recommend(k=5, rules=rules))


def test_due_to_rebuy_feature_equals_the_predict_rule(tmp_path: Path) -> None:
    """The re-ranker's "due to re-buy" score per (customer, product), from the model's own events, is the score
    `recs.predict.due_to_rebuy` lists from the warehouse (same pairs, same score, same cycle)."""
    path = make_db(tmp_path / "shop.duckdb", shop_rows(seed=5, customers=40, days_before=240))
    with connect(path) as con:
        data = build_interactions(con, until=CUTOFF)
        listed = due_to_rebuy(con, until=CUTOFF, days=30)
    scores, cycles = rebuy_matrices(data.counts.shape, data.events, data.cutoff, 30)
    rows = pd.Index(data.customer_ids).get_indexer(listed["customer_id"])
    cols = pd.Index(data.product_ids).get_indexer(listed["product_id"])
    assert len(listed) > 5 and (rows >= 0).all() and (cols >= 0).all()
    assert scores.nnz == int((listed["score"] > 0).sum())
    np.testing.assert_allclose(scores[rows, cols].A1, listed["score"].to_numpy(float), atol=1e-6)
    np.testing.assert_allclose(cycles[rows, cols].A1, listed["cycle_days"].to_numpy(float))


def test_hybrid_with_both_switches_saves_and_loads(tmp_path: Path) -> None:
    """With the optional features on, the trees learn from them, upcf is a base model, and a saved model
    recommends exactly as the fitted one; with them off the trees never see them."""
    path = make_db(tmp_path / "shop.duckdb", [r for r in shop_rows(seed=2, customers=30) if r[3] < CUTOFF])
    plain, _ = fit_hybrid(path, CUTOFF)
    _, _, f = hf.candidates_and_features(features_state(plain), np.arange(plain.data_.n_customers), 60, 40)
    assert np.isnan(f[:, hf.columns([*hf.OPTIONAL["rebuy"], *hf.OPTIONAL["upcf"]])]).all()
    model, _ = fit_hybrid(path, CUTOFF, rebuy_feature=True, upcf_feature=True)
    assert set(model.bases_) == {*hf.BASES, "upcf"}
    model.save(tmp_path / "hybrid.npz")
    loaded = Recommender.load(tmp_path / "hybrid.npz")
    assert loaded.rebuy_feature and loaded.upcf_feature
    rules = Rules(exclude_purchased=False)
    pd.testing.assert_frame_equal(loaded.recommend(k=5, rules=rules), model.recommend(k=5, rules=rules))


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


def _as_format_1(path: Path, out: Path) -> None:
    """Rewrite a hybrid model file the way files were written before nested models (format 1): each base model's
    fitted attributes flat on the hybrid as `base_{name}__{attribute}`, listed in `base_names_`."""
    import json

    with np.load(path, allow_pickle=False) as z:
        arrays = {key: z[key] for key in z.files}
    header = json.loads(str(arrays.pop("__meta__")))
    bases = header.pop("nested")["bases_"]["models"]
    header["scalars"]["base_names_"] = list(bases)
    for name, sub in bases.items():
        prefix, flat = f"m.bases_/{name}/m.", f"base_{name}__"
        for key in sub["dense"]:
            arrays[f"m.{flat}{key}"] = arrays.pop(f"{prefix}{key}")
            header["dense"].append(flat + key)
        for key, fmt in sub["sparse"].items():
            for part in ("data", "indices", "indptr", "shape"):
                arrays[f"m.{flat}{key}.{part}"] = arrays.pop(f"{prefix}{key}.{part}")
            header["sparse"][flat + key] = fmt
        header["scalars"].update({flat + key: v for key, v in sub["scalars"].items() if key != "fitted_"})
    assert not [key for key in arrays if key.startswith("m.bases_/")]
    header["format"] = 1
    arrays["__meta__"] = np.array(json.dumps(header))
    with open(out, "wb") as fh:
        np.savez(fh, **arrays)


def test_hybrid_files_written_before_nested_models_still_load(tmp_path: Path) -> None:
    path = make_db(tmp_path / "shop.duckdb", [r for r in shop_rows(seed=3, customers=30) if r[3] < CUTOFF])
    model, _ = fit_hybrid(path, CUTOFF)
    model.save(tmp_path / "new.npz")
    _as_format_1(tmp_path / "new.npz", tmp_path / "old.npz")
    old = Recommender.load(tmp_path / "old.npz")
    assert sorted(old.bases_) == sorted(model.bases_) and not [k for k in vars(old) if k.startswith("base_")]
    pd.testing.assert_frame_equal(old.recommend(k=5), model.recommend(k=5))
