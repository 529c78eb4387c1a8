"""Independent baseline recommenders for the benchmark: written without any `recs` code.

Each baseline is fitted on a DataFrame of training lines (customer_id, product_id, order_id, ordered_at) that the
benchmark reads with its own SQL, and returns plain ranked lists (customer id -> product ids), which the benchmark
scores with the same metric function as our models.

- popular: products by distinct buyers;
- own_history: the customer's products by number of orders (ties: popularity), then popular products;
- item_knn: item-item cosine over the binary customer x product matrix, score = sum of similarities to bought items;
- ease: EASE (Steck 2019), B = I - P diag(1/diag(P)), P = (X'X + lambda I)^-1, lambda tuned on a validation window
  (the last 30 days before the cutoff, scored by NDCG@10 on the same mode);
- als: `implicit` AlternatingLeastSquares called directly (binary confidence scaled by alpha).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse
from threadpoolctl import threadpool_limits

EASE_LAMBDAS = (50.0, 100.0, 200.0, 400.0, 800.0, 1600.0)


class _Base:
    """Shared indexing: customer and product ids to matrix rows/columns."""

    def fit(self, lines: pd.DataFrame) -> _Base:
        pairs = lines.groupby(["customer_id", "product_id"])["order_id"].nunique().reset_index(name="orders")
        self.customers_ = np.array(sorted(pairs["customer_id"].unique()), dtype=object)
        self.products_ = np.array(sorted(pairs["product_id"].unique()), dtype=object)
        self.cidx_ = {c: i for i, c in enumerate(self.customers_)}
        pidx = {p: i for i, p in enumerate(self.products_)}
        rows = pairs["customer_id"].map(self.cidx_).to_numpy()
        cols = pairs["product_id"].map(pidx).to_numpy()
        shape = (len(self.customers_), len(self.products_))
        self.counts_ = sparse.csr_matrix((pairs["orders"].to_numpy(np.float64), (rows, cols)), shape=shape)
        self.binary_ = self.counts_.copy()
        self.binary_.data[:] = 1.0
        self.popularity_ = np.asarray(self.binary_.sum(axis=0)).ravel()
        self._fit_scores()
        return self

    def _fit_scores(self) -> None:
        pass

    def _scores(self, rows: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def recommend(self, customers: list[str], k: int, exclude_purchased: bool) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        known = [c for c in customers if c in self.cidx_]
        pop_order = np.argsort(-self.popularity_, kind="stable")
        for c in customers:
            if c not in self.cidx_:
                out[c] = list(self.products_[pop_order[:k]])
        for start in range(0, len(known), 512):
            chunk = known[start:start + 512]
            rows = np.array([self.cidx_[c] for c in chunk])
            scores = np.asarray(self._scores(rows), dtype=np.float64)
            # tie-break by popularity so every baseline fills its list sensibly
            scores = scores + 1e-9 * self.popularity_ / (self.popularity_.max() or 1.0)
            if exclude_purchased:
                sub = self.binary_[rows]
                scores[sub.nonzero()] = -np.inf
            top = np.argpartition(-scores, min(k, scores.shape[1] - 1), axis=1)[:, :k]
            for i, c in enumerate(chunk):
                idx = top[i][np.argsort(-scores[i, top[i]], kind="stable")]
                idx = idx[np.isfinite(scores[i, idx])]
                out[c] = list(self.products_[idx])
        return out


class Popular(_Base):
    def _scores(self, rows):
        return np.tile(self.popularity_, (len(rows), 1))


class OwnHistory(_Base):
    def _scores(self, rows):
        own = self.counts_[rows].toarray()
        pop = self.popularity_ / (self.popularity_.max() + 1.0)  # < 1: own purchases always rank first
        return own * 10.0 + pop


class ItemKNN(_Base):
    def _fit_scores(self):
        norms = np.sqrt(self.popularity_)
        norms[norms == 0] = 1.0
        x = self.binary_ @ sparse.diags(1.0 / norms)
        sim = (x.T @ x).tocsr()
        sim.setdiag(0.0)
        sim.eliminate_zeros()
        self.sim_ = sim

    def _scores(self, rows):
        return (self.binary_[rows] @ self.sim_).toarray()


class EASE(_Base):
    def __init__(self, lam: float = 400.0):
        self.lam = lam

    def _fit_scores(self):
        gram = (self.binary_.T @ self.binary_).toarray()
        gram[np.diag_indices_from(gram)] += self.lam
        p = np.linalg.inv(gram)
        b = -p / np.diag(p)
        b[np.diag_indices_from(b)] = 0.0
        self.b_ = b

    def _scores(self, rows):
        return self.binary_[rows] @ self.b_


class ALS(_Base):
    def __init__(self, factors: int = 64, regularization: float = 0.05, alpha: float = 10.0, iterations: int = 15):
        self.factors, self.regularization, self.alpha, self.iterations = factors, regularization, alpha, iterations

    def _fit_scores(self):
        from implicit.cpu.als import AlternatingLeastSquares

        model = AlternatingLeastSquares(factors=self.factors, regularization=self.regularization, alpha=self.alpha,
                                        iterations=self.iterations, random_state=42, num_threads=2)
        with threadpool_limits(1, "blas"):
            model.fit(self.binary_.astype(np.float32), show_progress=False)
        self.users_ = np.asarray(model.user_factors)
        self.items_ = np.asarray(model.item_factors)

    def _scores(self, rows):
        return self.users_[rows] @ self.items_.T


def _ndcg(lists: dict[str, list[str]], relevant: dict[str, set[str]], k: int) -> float:
    """Validation NDCG@k for lambda tuning (binary relevance), local so the baseline stays independent."""
    disc = 1.0 / np.log2(np.arange(2, k + 2))
    vals = []
    for c, rel in relevant.items():
        top = lists.get(c, [])[:k]
        dcg = sum(disc[i] for i, p in enumerate(top) if p in rel)
        vals.append(dcg / disc[: min(len(rel), k)].sum())
    return float(np.mean(vals)) if vals else 0.0


def tune_ease(lines: pd.DataFrame, cutoff: pd.Timestamp, mode: str, k: int = 10, days: int = 30) -> float:
    """Pick EASE lambda on the last `days` before the cutoff (train before it, validate inside it)."""
    start = cutoff - pd.Timedelta(days=days)
    train = lines[lines["ordered_at"] < start]
    valid = lines[(lines["ordered_at"] >= start) & (lines["ordered_at"] < cutoff)]
    known = set(train["customer_id"])
    valid = valid[valid["customer_id"].isin(known)]
    history = train.groupby("customer_id")["product_id"].agg(set).to_dict()
    relevant: dict[str, set[str]] = {}
    for c, items in valid.groupby("customer_id")["product_id"].agg(set).items():
        rel = items - history.get(c, set()) if mode == "new" else items
        if rel:
            relevant[c] = rel
    best, best_score = EASE_LAMBDAS[0], -1.0
    for lam in EASE_LAMBDAS:
        lists = EASE(lam).fit(train).recommend(sorted(relevant), k, exclude_purchased=(mode == "new"))
        score = _ndcg(lists, relevant, k)
        if score > best_score:
            best, best_score = lam, score
    return best


BASELINES = {"popular": Popular, "own_history": OwnHistory, "item_knn": ItemKNN, "ease": EASE, "als": ALS}
