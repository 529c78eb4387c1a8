"""`hybrid`: a learned re-ranker over the customer's own repurchase signals and collaborative scores.

Training never looks at or after the model's cutoff. For each of `windows` validation windows of `window_days`
ending before the cutoff (the last one ends at the cutoff), the base models (ease, item_knn, als) are fitted on the
purchases before the window, candidates are drawn for the customers who bought in the window, and each candidate is
labelled 1 when the customer bought it in the window. A gradient-boosted tree classifier
(scikit-learn HistGradientBoostingClassifier) learns P(bought | features) from these rows. Then the base models are
refitted on all data before the cutoff and the classifier ranks the candidates; non-candidates score below every
candidate (by popularity). The explanation names the signal group (own repurchase, collaborative, popularity,
customer) whose removal lowers the score most.

Parts: the history replayed per window (_hybrid_windows.py), candidates and their named features
(_hybrid_features.py), the trees saved as arrays and walked by scikit-learn (_sklearn_trees.py), the reasons
(_hybrid_reasons.py). The fitted base models are `bases_`, saved and loaded through their own state.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

import recs.models._hybrid_features as hf
import recs.models._sklearn_trees as trees
import recs.models.folding as folding
from recs.interactions import Interactions
from recs.models._hybrid_reasons import hybrid_reasons
from recs.models._hybrid_rebuy import rebuy_matrices
from recs.models._hybrid_windows import events_of, history_before, window_sample
from recs.models.base import ParamSpec, Recommender, model_class

RANKS = tuple(f"{base}_rank" for base in hf.BASES)


@dataclass(frozen=True)
class Candidates:
    """What scoring built for `rows`, handed by `recommend` to the reasons of the same rows: the candidate
    batches (start, rows, local row, product column, features) of `hf.candidate_batches`."""

    rows: np.ndarray
    batches: list[tuple]


class Hybrid(Recommender):
    name = "hybrid"
    label = "Hybrid re-ranker"
    description = ("Learns, on recent weeks before the cutoff, how the customer's own repurchase signals "
                   "(how often, how recently, the product's usual cycle) and collaborative scores (EASE, item kNN, "
                   "ALS) predict the next purchases, and ranks candidates from all of them.")
    params = {
        "window_days": ParamSpec(30, int, 7, 180, help="length of each validation window the re-ranker learns on"),
        "windows": ParamSpec(3, int, 1, 6, help="number of validation windows before the cutoff"),
        "own_candidates": ParamSpec(60, int, 0, 1000, help="own-history candidates per customer"),
        "collab_candidates": ParamSpec(40, int, 0, 1000, help="candidates per collaborative model"),
        "max_iter": ParamSpec(150, int, 10, 1000, help="boosting rounds"),
        "learning_rate": ParamSpec(0.05, float, 0.001, 1.0, help="boosting step size"),
        "ease_l2": ParamSpec(400.0, float, 1.0, 1e5, help="lambda of the EASE base model"),
        "max_customers": ParamSpec(5000, int, 10, 10**7, help="at most this many customers' histories replayed per "
                                   "training window (a seeded sample; bounds fit time and memory on big shops)"),
        "seed": ParamSpec(42, int, 0, 2**31 - 1, help="random seed (same seed, same model)"),
        "rebuy_feature": ParamSpec(False, bool, help="also learn from the 'due to re-buy' score and the pair's own "
                                   "cycle (off: it did not help on the validation windows; docs/models.md)"),
        "upcf_feature": ParamSpec(False, bool, help="also learn from UP-CF@r's score and rank (off: it did not "
                                  "help on the validation windows and costs fit and scoring time)"),
    }
    param_grid = {"windows": [1, 2], "learning_rate": [0.05, 0.1]}
    default_weighting = "binary"
    order = 90
    intent = "rebuy"  # its lists are the customer's own products: a re-buy campaign
    max_ease_items = 8000

    # ---- fitting -----------------------------------------------------------------------------------------
    def _base_params(self, name: str, share: float = 1.0) -> dict:
        """Parameters of base model `name`; on a sample of `share` of the customers EASE's lambda is scaled by the
        same share (the Gram matrix shrinks with the customers), so its weights match the full model's."""
        return ({"l2": max(1.0, self.ease_l2 * share)} if name == "ease" else
                {"seed": self.seed} if name == "als" else {})

    def _base_models(self, data: Interactions, share: float = 1.0) -> dict[str, Recommender]:
        """The collaborative base models fitted on `data` (EASE only up to `max_ease_items` products)."""
        names = (*hf.BASES, "upcf") if self.upcf_feature else hf.BASES
        return {name: model_class(name)(**self._base_params(name, share)).fit(data) for name in names
                if not (name == "ease" and data.n_products > self.max_ease_items)}

    def _window_state(self, data: Interactions, events: pd.DataFrame, items: tuple | None = None,
                      share: float = 1.0) -> hf.State:
        orders, first, last = hf.customer_stats(data, events)
        pairs, decay, recent = hf.habit_stats(data, events)
        due = (rebuy_matrices(data.counts.shape, events, data.cutoff, self.window_days) if self.rebuy_feature
               else None)
        return hf.State(data, orders, first, last, self._base_models(data, share), pairs, decay, recent, items, due)

    def _active(self) -> np.ndarray:
        """Positions of the features the trees learn from: the base ones and those of the switches that are on
        (a model saved before the switches existed learned from the base ones, which keep their positions)."""
        names = [*hf.BASE_FEATURES, *(hf.OPTIONAL["rebuy"] if self.rebuy_feature else ()),
                 *(hf.OPTIONAL["upcf"] if self.upcf_feature else ())]
        return np.array(hf.columns(names), dtype=np.int64)

    def _training_set(self, data: Interactions, events: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """(features, bought) of every candidate of every training window: base models fitted on the purchases
        before the window, labels from the customers' purchases in it."""
        xs, ys, learned_from = [], [], []
        self.sampled_ = False
        n_p = data.n_products
        for w in range(self.windows):
            stop = data.cutoff - pd.Timedelta(days=w * self.window_days)
            start = stop - pd.Timedelta(days=self.window_days)
            self._progress(0.05 + 0.6 * w / self.windows, f"hybrid: learning on {start:%Y-%m-%d} to {stop:%Y-%m-%d}")
            if not (events["ordered_at"] < start).any():
                continue
            ev, items, share = window_sample(events, start, w, self.max_customers, self.seed, n_p)
            self.sampled_ = self.sampled_ or items is not None
            sub = history_before(data, ev, start)
            win = ev[(ev["ordered_at"] >= start) & (ev["ordered_at"] < stop)]
            cust = pd.Index(sub.customer_ids).get_indexer(data.customer_ids[win["row"].to_numpy()])
            keep = cust >= 0
            prod = win["col"].to_numpy()[keep]  # same product columns: every real product
            label = np.unique(cust[keep].astype(np.int64) * n_p + prod)  # bought (customer, product) pairs
            rows = np.unique(cust[keep])
            learned_from.append(len(rows))
            if len(rows) == 0:
                continue
            state = self._window_state(sub, sub.events, items, share)
            for _, batch, r, c, f in hf.candidate_batches(state, rows, self.own_candidates, self.collab_candidates):
                xs.append(f)
                ys.append(np.isin(batch[r].astype(np.int64) * n_p + c, label))
        self.window_customers_ = np.array(learned_from, dtype=np.int64)  # customers learned from, per window
        x = np.concatenate(xs) if xs else np.zeros((0, hf.N_FEATURES))
        y = np.concatenate(ys) if ys else np.zeros(0, dtype=bool)
        return x[:, self._active()], y

    def _learn(self, x: np.ndarray, y: np.ndarray) -> dict[str, np.ndarray]:
        """The boosted trees' arrays, or no trees when there is too little to learn from (then `_blend` ranks)."""
        from sklearn.ensemble import HistGradientBoostingClassifier

        if not (len(y) >= 20 and 0 < y.sum() < len(y)):
            return trees.empty_arrays()
        self._progress(0.7, f"hybrid: boosting on {len(y):,} candidates ({int(y.sum()):,} bought)")
        x = np.where(np.isnan(x).all(axis=0), 0.0, x)  # a feature missing everywhere: constant, not NaN
        clf = HistGradientBoostingClassifier(max_iter=self.max_iter, learning_rate=self.learning_rate,
                                             max_leaf_nodes=31, min_samples_leaf=50, l2_regularization=1.0,
                                             early_stopping=False, random_state=self.seed)
        with threadpool_limits(1):  # OpenMP threads thrash on a busy 2-core machine; one is enough here
            clf.fit(x, y)
        return trees.tree_arrays(clf)

    def _fit(self, data: Interactions) -> None:
        events = events_of(data)
        x, y = self._training_set(data, events)
        self.trained_rows_ = int(len(y))
        for key, value in self._learn(x, y).items():
            setattr(self, f"tree_{key}_", value)
        self._progress(0.8, "hybrid: refitting base models on all data")
        state = self._window_state(data, events)
        self.customer_orders_, self.customer_first_, self.customer_last_ = state.orders, state.first_days, state.last_days
        self.habit_pairs_, self.habit_decay_, self.habit_orders_ = (state.recent_pairs, state.decay_pairs,
                                                                    state.recent_orders)
        if state.due is not None:
            self.due_scores_, self.due_cycles_ = state.due
        self.bases_ = state.bases  # saved and loaded through their own state (nested models)
        pop = self.popularity_
        self.fill_ = (pop / (pop.max() + 1.0) - 2.0).astype(np.float32)  # below any candidate's score

    def _derive(self) -> None:
        """The features' state at the cutoff and the compiled trees, built once after fit and after load."""
        if "bases_" not in vars(self):
            self.bases_ = self._bases_from_flat_attributes()
        due = (self.due_scores_, self.due_cycles_) if "due_scores_" in vars(self) else None
        self._features = hf.State(self.data_, self.customer_orders_, self.customer_first_, self.customer_last_,
                                  self.bases_, self.habit_pairs_, self.habit_decay_, self.habit_orders_, due=due)
        active = self._active()  # the trees' columns; a prefix of the features (the defaults) needs no copy
        self._columns = None if np.array_equal(active, np.arange(len(active))) else active
        self._trees = {key: getattr(self, f"tree_{key}_") for key in trees.KEYS}
        self._learned = len(self._trees["offsets"]) > 0
        self._compiled = trees.compile_trees(self._trees) if self._learned else []

    def _bases_from_flat_attributes(self) -> dict[str, Recommender]:
        """Base models of a model file written before nested models were saved (format 1): their fitted
        attributes sit on the hybrid as `base_{name}__{attribute}`; move them into the base models."""
        out: dict[str, Recommender] = {}
        for name in vars(self).pop("base_names_", []):
            prefix = f"base_{name}__"
            fitted = {key[len(prefix):]: vars(self).pop(key) for key in [k for k in vars(self) if k.startswith(prefix)]}
            out[name] = model_class(name).from_fitted(self.data_, fitted, **self._base_params(name))
        return out

    # ---- scoring -----------------------------------------------------------------------------------------
    def _blend(self, f: np.ndarray) -> np.ndarray:
        """The fixed ranking without trees: half the customer's share of orders with the product, half the best
        collaborative rank."""
        own = np.nan_to_num(f[:, hf.COLUMN["own_orders"]] / np.maximum(f[:, hf.COLUMN["customer_orders"]], 1))
        collab = np.nan_to_num(1.0 / (1.0 + np.nanmin(f[:, hf.columns(RANKS)], axis=1)), nan=0.0)
        return 0.5 * own + 0.5 * collab

    def _raw(self, f: np.ndarray) -> np.ndarray:
        """The re-ranker's raw score (log-odds with trees) of feature rows."""
        if not self._learned:
            return self._blend(f)
        return trees.predict_raw(self._trees, self._compiled, f if self._columns is None else f[:, self._columns])

    def _predict(self, f: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-self._raw(f))) if self._learned else self._blend(f)

    def score_with_context(self, rows: np.ndarray) -> tuple[np.ndarray, Candidates]:
        rows = np.asarray(rows)
        out = np.tile(self.fill_, (len(rows), 1))
        batches = list(hf.candidate_batches(self._features, rows, self.own_candidates, self.collab_candidates,
                                            threads=2))
        parts = [(start + r, c, f) for start, _, r, c, f in batches]
        if parts:  # one pass of the trees over every candidate of the call: fewer, longer threaded traversals
            r, c, f = (np.concatenate(x) for x in zip(*parts, strict=True))
            out[r, c] = self._predict(f)
        return out, Candidates(rows.copy(), batches)

    def score(self, rows: np.ndarray) -> np.ndarray:
        return self.score_with_context(rows)[0]

    def with_history(self, history: Interactions) -> Hybrid | None:
        """A read-only copy scoring the customer of `history` (their purchases since training added): own-history
        and customer features from the updated history, base models folded; None when a part cannot fold."""
        bases = {name: folding.fold(base, history) for name, base in self.bases_.items()}
        row = self.data_.customer_index(history.customer_ids[0])
        state = None if None in bases.values() else folding.customer_state(self._features, row, history, bases)
        if state is None:
            return None
        view = copy.copy(self)  # shares the trees, the fill and the product information
        view.data_, view._features = history, state
        return view

    # ---- explanations ------------------------------------------------------------------------------------
    def reasons(self, rows: np.ndarray, idx: np.ndarray, counts: np.ndarray, context: object) -> list[str]:
        rows = np.asarray(rows, dtype=np.int64)
        if isinstance(context, Candidates) and np.array_equal(context.rows, rows):
            batches = context.batches  # the features scoring just built for these customers
        else:
            batches = hf.candidate_batches(self._features, np.unique(rows), self.own_candidates,
                                           self.collab_candidates, threads=2)
        return hybrid_reasons(self, self._features, self._raw, rows, idx, counts, batches)
