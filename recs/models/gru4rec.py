"""`gru4rec`: a recurrent network over the sequence of a customer's orders (GRU4Rec, Hidasi et al. 2016, with each
step an order: a basket embedding, as in next-basket work), trained with a sampled softmax to predict the products
of the next order.

Training (PyTorch, `_gru4rec_train.py`): each customer's last `max_orders` + 1 orders; order t's basket embedding
(mean of its products' input vectors) goes through a GRU whose state scores the products of order t + 1. Fitting
ends by running every customer's last `max_orders` orders through the GRU: their state, with the products' output
vectors and biases, is all scoring needs (numpy; PyTorch is not imported to serve). Big shops: at most
`max_customers` customers (a seeded sample) are learned from per epoch; every customer gets a state.
Reasons: the customer's purchases nearest to the product by the cosine of the learned output vectors.
"""

from __future__ import annotations

import numpy as np

from recs.interactions import Interactions
from recs.models._baskets import baskets_of
from recs.models._neural import EmbeddingRecommender, torch_session
from recs.models.base import ParamSpec


class Gru4Rec(EmbeddingRecommender):
    name = "gru4rec"
    label = "GRU4Rec (neural, order sequence)"
    description = ("A recurrent neural network reads the customer's orders in time order and predicts the products "
                   "of their next order (PyTorch; minutes on big shops).")
    params = {
        "factors": ParamSpec(64, int, 4, 512, help="size of the product vectors and of the GRU state"),
        "epochs": ParamSpec(8, int, 1, 200, help="passes over the customers' order sequences"),
        "learning_rate": ParamSpec(0.01, float, 1e-5, 1.0, help="Adam step size"),
        "negatives": ParamSpec(1024, int, 0, 100000, help="products sampled per batch for the softmax "
                                                         "(0 = all products)"),
        "batch": ParamSpec(64, int, 1, 4096, help="customers per training step"),
        "max_orders": ParamSpec(20, int, 1, 500, help="the customer's last orders the GRU reads"),
        "max_customers": ParamSpec(20000, int, 10, 10**7, help="at most this many customers learned from per epoch "
                                   "(a seeded sample; bounds fit time on big shops)"),
        "seed": ParamSpec(42, int, 0, 2**31 - 1, help="random seed (same seed, same model on the CPU)"),
    }
    param_grid = {"factors": [32, 64], "epochs": [4, 12]}
    default_weighting = "binary"
    order = 80

    def _fit(self, data: Interactions) -> None:
        seq = sequences(data, self.max_orders + 1)
        pop = np.asarray((data.counts > 0).sum(axis=0), dtype=np.float64).ravel()
        with torch_session() as (_torch, _device):
            from recs.models import _gru4rec_train

            sequences_ = _gru4rec_train.Sequences(*seq)
            fitted = _gru4rec_train.train(sequences_, data.n_products, pop, self.factors, self.epochs,
                                          self.learning_rate, self.negatives, self.batch, self.max_customers,
                                          self.max_orders, self.seed, self._progress)
        for key, value in fitted.items():
            setattr(self, f"{key}_", value)

    def _item_vectors(self) -> np.ndarray:
        return self.item_out_

    def score(self, rows: np.ndarray) -> np.ndarray:
        return (self.customer_state_[rows] @ self.item_out_.T + self.item_bias_[None, :]).astype(np.float32)


def sequences(data: Interactions, keep: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(products, basket offsets, customer offsets) of every customer's last `keep` orders in time order."""
    b = baskets_of(data)
    mine = b.position >= b.total - keep
    row, pos, col = b.row[mine], b.position[mine], b.col[mine]
    order = np.lexsort((col, pos, row))
    row, pos, col = row[order], pos[order], col[order]
    new = np.ones(len(row), dtype=bool)
    new[1:] = (row[1:] != row[:-1]) | (pos[1:] != pos[:-1])
    starts = np.flatnonzero(new)
    basket_ptr = np.append(starts, len(row)).astype(np.int64)
    per_customer = np.bincount(row[starts], minlength=data.n_customers)
    customer_ptr = np.concatenate([[0], np.cumsum(per_customer)]).astype(np.int64)
    return col.astype(np.int64), basket_ptr, customer_ptr
