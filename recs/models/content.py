"""`content`: TF-IDF over product names and categories (scikit-learn). A customer's score for product j is the
sum over their purchases i of x_ui * textsim(i, j), keeping each product's `neighbors` most similar products.
It needs no co-purchases, so it reaches products nobody has bought yet (new arrivals). A tiny popularity term
(1e-3 of the normalised recency popularity) breaks ties, so customers whose purchases share no words with
anything still get a sensible list."""

from __future__ import annotations

import numpy as np

from recs.interactions import Interactions
from recs.models._explain import lookup, sparse_keys
from recs.models._similarity import dense_column, gram_of_rows, top_neighbours
from recs.models.base import ParamSpec, Recommender

TIEBREAK = 1e-3


class Content(Recommender):
    name = "content"
    label = "Content (names)"
    description = ("Products whose names and categories resemble what the customer bought (TF-IDF). Works for "
                   "products nobody has bought yet.")
    params = {
        "neighbors": ParamSpec(50, int, 1, 5000, help="similar products kept per product"),
        "ngram_max": ParamSpec(2, int, 1, 3, help="longest word sequence used (1 = single words)"),
        "category_weight": ParamSpec(1.0, float, 0.0, 10.0, help="how much the category counts vs the name"),
        "min_df": ParamSpec(1, int, 1, 100, help="ignore words used by fewer products"),
    }
    param_grid = {"neighbors": [20, 50, 200], "ngram_max": [1, 2]}
    default_weighting = "binary"
    order = 80
    why = "similar names or category"

    def _fit(self, data: Interactions) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.preprocessing import normalize

        names = [str(n) for n in data.product_names()]
        cats = data.products["category"].astype(object).to_numpy()
        self._progress(0.1, "content: reading product names")
        vec = TfidfVectorizer(ngram_range=(1, self.ngram_max), min_df=self.min_df, sublinear_tf=True,
                              token_pattern=r"(?u)\b\w\w+\b")
        try:
            t = vec.fit_transform(names).astype(np.float32)
        except ValueError:  # empty vocabulary: no usable words at all
            t = None
        cat_ids = np.array([c if isinstance(c, str) and c else "" for c in cats], dtype=object)
        if self.category_weight > 0 and (cat_ids != "").any():
            import scipy.sparse as sp

            codes, uniq = _codes(cat_ids)
            onehot = sp.csr_matrix((np.ones(len(codes), np.float32), (np.arange(len(codes)), codes)),
                                   shape=(len(codes), len(uniq)))
            onehot = onehot[:, [k for k, u in enumerate(uniq) if u != ""]] * np.float32(self.category_weight)
            t = onehot if t is None else sp.hstack([t, onehot]).tocsr()
        n = data.n_products
        if t is None:
            import scipy.sparse as sp

            self.similarity_ = sp.csc_matrix((n, n), dtype=np.float32)
        else:
            t = normalize(t)
            self.similarity_ = top_neighbours(gram_of_rows(t), n, self.neighbors, lambda block, cols: block,
                                              self._progress)
        pop = self.popularity_
        self.tiebreak_ = (TIEBREAK * pop / pop.max() if pop.max() > 0 else pop).astype(np.float32)

    def _derive(self) -> None:
        self._sim_csr = self.similarity_.tocsr()  # row-wise copy for scoring
        self._keys = sparse_keys(self.similarity_)  # pair lookups for the reasons

    def score(self, rows: np.ndarray) -> np.ndarray:
        x = self.data_.matrix[rows].copy()
        x.data[:] = 1.0
        return ((x @ self._sim_csr).toarray() + self.tiebreak_[None, :]).astype(np.float32)

    def similar(self, j: int) -> np.ndarray:
        return dense_column(self.similarity_, j)

    def pair_weights(self, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        return lookup(self.similarity_, self._keys, j, i)


def _codes(values: np.ndarray) -> tuple[np.ndarray, list]:
    uniq = sorted(set(values.tolist()))
    pos = {u: k for k, u in enumerate(uniq)}
    return np.array([pos[v] for v in values], dtype=np.int64), uniq
