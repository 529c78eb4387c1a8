"""Models on catalogues wider than one similarity block: the blockwise top-k equals a dense computation done here
with numpy, and EASE refuses a catalogue above its cap with a message naming the parameter to raise."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from recs.errors import InputError
from recs.interactions import Interactions
from recs.models import get_model
from recs.models._similarity import BLOCK

N_PRODUCTS = BLOCK + 300  # two blocks, the second one partial
WORDS = ["red", "blue", "green", "mug", "pot", "hose", "glove", "tea", "coffee", "bean", "large", "small"]


def wide_data(weights: str = "count") -> Interactions:
    rng = np.random.default_rng(5)
    customers, cells = 600, 9000
    rows = rng.integers(0, customers, cells)
    cols = np.minimum((rng.pareto(1.0, cells) * N_PRODUCTS / 30).astype(np.int64), N_PRODUCTS - 1)
    values = rng.uniform(0.5, 3.0, cells) if weights == "count" else np.ones(cells)
    m = sp.csr_matrix((values.astype(np.float32), (rows, cols)), shape=(customers, N_PRODUCTS))
    m.sum_duplicates()
    m.sort_indices()
    ids = np.array([f"P{i:05d}" for i in range(N_PRODUCTS)], dtype=object)
    names = [" ".join(rng.choice(WORDS, size=3, replace=False)) for _ in range(N_PRODUCTS)]
    table = pd.DataFrame({"product_id": ids, "name": names, "category": [f"c{i % 7}" for i in range(N_PRODUCTS)],
                          "is_product": True, "in_stock": True, "unit_price": 1.0,
                          "buyers": np.diff(m.tocsc().indptr), "repurchase_days": np.nan})
    last = m.copy()
    last.data[:] = 10.0
    return Interactions(matrix=m, counts=m.copy(), last_days=last, product_ids=ids, products=table,
                        customer_ids=np.array([f"C{i:04d}" for i in range(customers)], dtype=object),
                        cutoff=pd.Timestamp("2026-01-01"), weighting=weights)


def top_values(sim: np.ndarray, k: int) -> list[np.ndarray]:
    """Per column j: the k largest positive similarities of j to other products, sorted (ties do not matter)."""
    sim = sim.copy()
    np.fill_diagonal(sim, 0.0)
    out = []
    for j in range(sim.shape[1]):
        col = np.sort(sim[:, j])[::-1][:k]
        out.append(col[col > 0])
    return out


def model_values(s: sp.csc_matrix) -> list[np.ndarray]:
    return [np.sort(s.data[s.indptr[j]:s.indptr[j + 1]])[::-1] for j in range(s.shape[1])]


def assert_same_top(model_sim: sp.csc_matrix, dense: np.ndarray, k: int) -> None:
    got, want = model_values(model_sim), top_values(dense, k)
    assert [len(g) for g in got] == [len(w) for w in want]
    np.testing.assert_allclose(np.concatenate(got), np.concatenate(want), rtol=2e-5, atol=1e-7)


@pytest.mark.parametrize("similarity", ["cosine", "jaccard"])
def test_item_knn_blockwise_top_k_equals_dense_numpy(similarity) -> None:
    data = wide_data("count" if similarity == "cosine" else "binary")
    model = get_model("item_knn", neighbors=40, shrink=5.0, similarity=similarity).fit(data)
    x = data.matrix.toarray().astype(np.float64)
    if similarity == "cosine":
        norm = np.sqrt((x * x).sum(axis=0))
        dense = (x.T @ x) / (norm[:, None] * norm[None, :] + 5.0)
    else:
        b = (x > 0).astype(np.float64)
        both = b.T @ b
        size = b.sum(axis=0)
        dense = both / (size[:, None] + size[None, :] - both + 5.0)
    assert_same_top(model.similarity_, dense, 40)


def test_content_blockwise_top_k_equals_dense_numpy() -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer

    data = wide_data()
    model = get_model("content", neighbors=30, ngram_max=1).fit(data)
    t = TfidfVectorizer(sublinear_tf=True, token_pattern=r"(?u)\b\w\w+\b").fit_transform(
        data.products["name"].tolist()).toarray()
    cats = pd.get_dummies(data.products["category"]).to_numpy(dtype=float)
    t = np.hstack([t, cats])
    t /= np.linalg.norm(t, axis=1, keepdims=True)
    assert_same_top(model.similarity_, t @ t.T, 30)


def test_ease_refuses_a_catalogue_above_its_cap_and_names_the_parameter() -> None:
    data = wide_data()
    with pytest.raises(InputError, match=r"1,324 products, above max_items=1,000.*Raise max_items"):
        get_model("ease", max_items=1000).fit(data)
    assert get_model("ease").max_items == 8000  # fits in about a minute and ~1.2 GB on a 2-core machine
