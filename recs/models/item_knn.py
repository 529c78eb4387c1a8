"""`item_knn`: products similar to what the customer bought, similarity from who bought them together.

Similarity of products i and j from the customer x product matrix X:
- cosine:  (X_i . X_j) / (|X_i| |X_j| + shrink)
- jaccard: |buyers(i) & buyers(j)| / (|buyers(i) | buyers(j)| + shrink)
Each product keeps its `neighbors` most similar products; a customer's score for j is the sum over the products
i they bought of x_ui * sim(i, j). Shrinkage damps similarities resting on few shared buyers.
"""

from __future__ import annotations

import numpy as np

from recs.interactions import Interactions
from recs.models._explain import lookup, sparse_keys
from recs.models._similarity import dense_column, gram_of_columns, top_neighbours
from recs.models.base import ParamSpec, Recommender


class ItemKNN(Recommender):
    name = "item_knn"
    label = "Item kNN"
    description = ("Products bought by the same customers as the ones this customer bought (cosine or Jaccard "
                   "similarity with shrinkage, top neighbours per product).")
    params = {
        "neighbors": ParamSpec(100, int, 1, 5000, help="similar products kept per product"),
        "shrink": ParamSpec(10.0, float, 0.0, 10000.0, help="damps similarities based on few shared buyers"),
        "similarity": ParamSpec("cosine", str, choices=("cosine", "jaccard"), help="similarity measure"),
    }
    param_grid = {"neighbors": [50, 200], "shrink": [0.0, 10.0, 100.0], "similarity": ["cosine", "jaccard"]}
    default_weighting = "binary"
    order = 30
    why = "bought by the same customers"

    def _fit(self, data: Interactions) -> None:
        x = data.matrix.astype(np.float32)
        if self.similarity == "jaccard":
            x = x.copy()
            x.data[:] = 1.0
        if self.similarity == "cosine":
            norm = np.sqrt(np.asarray(x.multiply(x).sum(axis=0)).ravel()).astype(np.float32)

            def transform(block: np.ndarray, cols: np.ndarray) -> np.ndarray:
                return block / (norm[cols, None] * norm[None, :] + self.shrink + 1e-12)
        else:
            size = np.asarray(x.sum(axis=0)).ravel().astype(np.float32)

            def transform(block: np.ndarray, cols: np.ndarray) -> np.ndarray:
                return block / (size[cols, None] + size[None, :] - block + self.shrink + 1e-12)

        self.similarity_ = top_neighbours(gram_of_columns(x), data.n_products, self.neighbors, transform,
                                          self._progress)

    def _derive(self) -> None:
        self._sim_csr = self.similarity_.tocsr()  # row-wise copy for scoring
        self._keys = sparse_keys(self.similarity_)  # pair lookups for the reasons

    def score(self, rows: np.ndarray) -> np.ndarray:
        return (self.data_.matrix[rows] @ self._sim_csr).toarray().astype(np.float32)

    def similar(self, j: int) -> np.ndarray:
        return dense_column(self.similarity_, j)

    def pair_weights(self, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        return lookup(self.similarity_, self._keys, j, i)
