"""`ncf`: Neural Collaborative Filtering, NeuMF (He et al., WWW 2017): a GMF tower and an MLP tower over learned
customer and product vectors, trained on purchases against randomly drawn products (negative sampling).

score(u, j) = w_gmf . (p_u * q_j) + w_mlp . relu(W2 relu(W1 [p'_u; q'_j] + b1) + b2) + b. Training is PyTorch
(`_ncf_train.py`); scoring is numpy over the saved layers (the first MLP layer split into its customer and product
halves, so each half is computed once per batch). Big shops: at most `max_pairs` purchases (a seeded sample) per
epoch. Reasons: the customer's purchases nearest to the product by the cosine of the learned product vectors
(GMF and MLP vectors side by side).
"""

from __future__ import annotations

import numpy as np

from recs.interactions import Interactions
from recs.models._neural import EmbeddingRecommender, torch_session
from recs.models.base import ParamSpec

SCORE_CELLS = 4_000_000  # (customers x products x factors) floats per scoring chunk


class NCF(EmbeddingRecommender):
    name = "ncf"
    label = "NCF / NeuMF (neural)"
    description = ("Neural collaborative filtering: customer and product vectors combined by a product and by a "
                   "small neural network, trained to tell purchases from random products (PyTorch).")
    params = {
        "factors": ParamSpec(16, int, 2, 512, help="size of the customer and product vectors"),
        "epochs": ParamSpec(4, int, 1, 200, help="passes over the purchases"),
        "learning_rate": ParamSpec(0.005, float, 1e-5, 1.0, help="Adam step size"),
        "negatives": ParamSpec(4, int, 1, 100, help="random products drawn per purchase"),
        "batch": ParamSpec(2048, int, 16, 65536, help="pairs per training step"),
        "l2": ParamSpec(0.0, float, 0.0, 1.0, help="weight decay"),
        "max_pairs": ParamSpec(500000, int, 1000, 10**9, help="at most this many purchases learned from per epoch "
                               "(a seeded sample; bounds fit time on big shops)"),
        "seed": ParamSpec(42, int, 0, 2**31 - 1, help="random seed (same seed, same model on the CPU)"),
    }
    param_grid = {"factors": [8, 16], "epochs": [2, 6], "negatives": [4]}
    default_weighting = "binary"
    order = 81

    def _fit(self, data: Interactions) -> None:
        with torch_session() as (_torch, _device):
            from recs.models import _ncf_train

            fitted = _ncf_train.train(data.matrix, self.factors, self.epochs, self.learning_rate, self.negatives,
                                      self.batch, self.max_pairs, self.l2, self.seed, self._progress)
        for key, value in fitted.items():
            setattr(self, f"{key}_", value)

    def _item_vectors(self) -> np.ndarray:
        return np.hstack([self.item_gmf_, self.item_mlp_])

    def _derive(self) -> None:
        super()._derive()
        f = self.item_gmf_.shape[1]
        self._item_half = self.item_mlp_ @ self.layer1_weight_[:, f:].T  # (products, f)
        self._w_gmf = self.output_weight_[0, :f]
        self._w_mlp = self.output_weight_[0, f:]

    def score(self, rows: np.ndarray) -> np.ndarray:
        f = self.item_gmf_.shape[1]
        n_items = self.item_gmf_.shape[0]
        out = np.empty((len(rows), n_items), dtype=np.float32)
        step = max(1, SCORE_CELLS // max(1, n_items * f))
        for s in range(0, len(rows), step):
            r = rows[s:s + step]
            gmf = (self.user_gmf_[r] * self._w_gmf) @ self.item_gmf_.T
            user_half = self.user_mlp_[r] @ self.layer1_weight_[:, :f].T + self.layer1_bias_
            h1 = user_half[:, None, :] + self._item_half[None, :, :]
            np.maximum(h1, 0.0, out=h1)
            h2 = h1.reshape(-1, f) @ self.layer2_weight_.T  # one matrix product for the whole chunk
            h2 += self.layer2_bias_
            np.maximum(h2, 0.0, out=h2)
            out[s:s + step] = gmf + (h2 @ self._w_mlp).reshape(len(r), n_items) + self.output_bias_[0]
        return out
