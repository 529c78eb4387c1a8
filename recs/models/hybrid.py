"""`hybrid`: a learned re-ranker over the customer's own repurchase signals and collaborative scores.

Training never looks at or after the model's cutoff. For each of `windows` validation windows of `window_days`
ending before the cutoff (the last one ends at the cutoff), the base models (ease, item_knn, als) are fitted on the
purchases before the window, candidates are drawn for the customers who bought in the window, and each candidate is
labelled 1 when the customer bought it in the window. A gradient-boosted tree classifier
(scikit-learn HistGradientBoostingClassifier) learns P(bought | features) from these rows. Then the base models are
refitted on all data before the cutoff and the classifier ranks the candidates; non-candidates score below every
candidate (by popularity). Features: see recs/models/_hybrid_features.py. The explanation names the signal group
(own repurchase, collaborative, popularity, customer) whose removal lowers the score most.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from recs.interactions import Interactions, from_lines
from recs.models import _hybrid_features as hf
from recs.models.base import ParamSpec, Recommender
from recs.models.repeat import times

EVENT_COLUMNS = ["row", "col", "order_id", "ordered_at"]


def with_events(data: Interactions, lines: pd.DataFrame) -> Interactions:
    """Attach per-(customer, product, order) purchase times to `data` (as `data.events`) from the lines it was
    built from, so the hybrid can replay history at earlier cutoffs exactly."""
    df = lines[["customer_id", "product_id", "order_id", "ordered_at"]]
    df = df[df["customer_id"].notna()]
    row = pd.Index(data.customer_ids).get_indexer(df["customer_id"].astype(str))
    col = pd.Index(data.product_ids).get_indexer(df["product_id"].astype(str))
    when = pd.to_datetime(df["ordered_at"])
    ok = (row >= 0) & (col >= 0) & (when < data.cutoff).to_numpy()
    ev = pd.DataFrame({"row": row[ok], "col": col[ok], "order_id": df["order_id"].astype(str).to_numpy()[ok],
                       "ordered_at": when.to_numpy()[ok]})
    data.events = ev.groupby(["row", "col", "order_id"], as_index=False, sort=False)["ordered_at"].min()
    return data


def approximate_events(data: Interactions) -> pd.DataFrame:
    """Events rebuilt from counts and last-purchase ages when exact ones are missing: n purchases of a product,
    the last at its known time, earlier ones spaced by the product's cycle (30 days when unknown)."""
    counts, last = data.counts.tocoo(), data.last_days.tocsr()
    ages = np.asarray(last[counts.row, counts.col]).ravel()
    cycle = data.products["repurchase_days"].to_numpy(dtype=float, na_value=np.nan)[counts.col]
    step = np.where(np.isfinite(cycle) & (cycle > 0), cycle, 30.0)
    n = counts.data.astype(np.int64)
    rep = np.repeat(np.arange(len(n)), n)
    k = np.arange(len(rep)) - np.repeat(np.cumsum(n) - n, n)
    age = ages[rep] + k * step[rep]
    when = data.cutoff - pd.to_timedelta(age, unit="D")
    day = when.floor("D").to_numpy(dtype="datetime64[D]").astype(np.int64)
    row = counts.row[rep].astype(np.int64)
    return pd.DataFrame({"row": row, "col": counts.col[rep],
                         "order_id": row * 1_000_000 + day,  # one order per customer and day (a number: fast)
                         "ordered_at": when})


def _events(data: Interactions) -> pd.DataFrame:
    ev = getattr(data, "events", None)
    return ev if isinstance(ev, pd.DataFrame) else approximate_events(data)


def _restrict(data: Interactions, events: pd.DataFrame, cutoff: pd.Timestamp) -> tuple[Interactions, pd.DataFrame]:
    """The same customers/products as seen at an earlier cutoff (rows are re-indexed by from_lines)."""
    ev = events[events["ordered_at"] < cutoff]
    lines = pd.DataFrame({"customer_id": data.customer_ids[ev["row"].to_numpy()],
                          "product_id": data.product_ids[ev["col"].to_numpy()],
                          "order_id": ev["order_id"].to_numpy(), "ordered_at": ev["ordered_at"].to_numpy()})
    sub = from_lines(lines, data.products, cutoff, weighting=data.weighting, half_life_days=data.half_life_days)
    return with_events(sub, lines), lines


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
    }
    param_grid = {"windows": [1, 2], "learning_rate": [0.05, 0.1]}
    default_weighting = "binary"
    order = 90
    max_ease_items = 8000

    # ---- fitting -----------------------------------------------------------------------------------------
    def _bases(self, data: Interactions, share: float = 1.0) -> dict[str, Recommender]:
        """The collaborative base models; on a sample of `share` of the customers EASE's lambda is scaled by the
        same share (the Gram matrix shrinks with the customers), so its weights match the full model's."""
        from recs.models import get_model

        out: dict[str, Recommender] = {}
        for name in hf.BASES:
            if name == "ease" and data.n_products > self.max_ease_items:
                continue
            params = ({"l2": max(1.0, self.ease_l2 * share)} if name == "ease" else
                      {"seed": self.seed} if name == "als" else {})
            out[name] = get_model(name, **params).fit(data)
        return out

    def _state(self, data: Interactions, events: pd.DataFrame, items: tuple | None = None,
               share: float = 1.0) -> hf.State:
        orders, first, last = hf.customer_stats(data, events)
        pairs, decay, recent = hf.habit_stats(data, events)
        return hf.State(data, orders, first, last, self._bases(data, share), pairs, decay, recent, items)

    def _window_events(self, events: pd.DataFrame, start: pd.Timestamp, w: int) -> tuple[pd.DataFrame, tuple | None,
                                                                                           float]:
        """The events replayed for window `w`: every customer's, or when more than `max_customers` customers have
        history before `start`, those of a seeded random sample of them. With a sample, the product statistics
        (buyers, re-buyers, recent buyers) still come from every customer, so features keep their full-data scale.
        Returns (events, product statistics or None, sampled share of the customers)."""
        rows = events["row"].to_numpy()
        before = (events["ordered_at"] < start).to_numpy()
        pool = np.unique(rows[before])
        if len(pool) <= self.max_customers:
            return events, None, 1.0
        rng = np.random.default_rng([self.seed, w])
        sample = np.sort(rng.choice(pool, self.max_customers, replace=False))
        items = hf.item_stats(events.loc[before, ["row", "col", "ordered_at"]], self.data_.n_products, start)
        self.sampled_ = True
        return events[np.isin(rows, sample)], items, self.max_customers / len(pool)

    def _batches(self, state: hf.State, rows: np.ndarray, size: int = 500, threads: int = 1):
        """(start, rows, local row, product, features) per batch of `size` customers, in order; `threads` > 1
        builds batches concurrently (numpy's sorts and products release the GIL; the state is only read)."""
        def build(s: int) -> tuple:
            batch = rows[s:s + size]
            return (s, batch, *hf.candidates_and_features(state, batch, self.own_candidates, self.collab_candidates))

        starts = range(0, len(rows), size)
        if threads <= 1 or len(starts) <= 1:
            yield from map(build, starts)
            return
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(min(threads, len(starts))) as pool:
            yield from pool.map(build, starts)

    def _fit(self, data: Interactions) -> None:
        from sklearn.ensemble import HistGradientBoostingClassifier

        events = _events(data)
        xs, ys, learned_from = [], [], []
        self.sampled_ = False
        for w in range(self.windows):
            stop = data.cutoff - pd.Timedelta(days=w * self.window_days)
            start = stop - pd.Timedelta(days=self.window_days)
            self._progress(0.05 + 0.6 * w / self.windows, f"hybrid: learning on {start:%Y-%m-%d} to {stop:%Y-%m-%d}")
            if not (events["ordered_at"] < start).any():
                continue
            ev, items, share = self._window_events(events, start, w)
            sub, _ = _restrict(data, ev, start)
            win = ev[(ev["ordered_at"] >= start) & (ev["ordered_at"] < stop)]
            cust = pd.Index(sub.customer_ids).get_indexer(data.customer_ids[win["row"].to_numpy()])
            keep = cust >= 0
            prod = win["col"].to_numpy()[keep]  # same product columns: every real product
            n_p = data.n_products
            label = np.unique(cust[keep].astype(np.int64) * n_p + prod)  # bought (customer, product) pairs
            rows = np.unique(cust[keep])
            learned_from.append(len(rows))
            if len(rows) == 0:
                continue
            state = self._state(sub, sub.events, items, share)
            for _, batch, r, c, f in self._batches(state, rows):
                xs.append(f)
                ys.append(np.isin(batch[r].astype(np.int64) * n_p + c, label))
        x = np.concatenate(xs) if xs else np.zeros((0, hf.N_FEATURES))
        y = np.concatenate(ys) if ys else np.zeros(0, dtype=bool)
        self.trained_rows_ = int(len(y))
        self.window_customers_ = np.array(learned_from, dtype=np.int64)  # customers learned from, per window
        if len(y) >= 20 and 0 < y.sum() < len(y):
            self._progress(0.7, f"hybrid: boosting on {len(y):,} candidates ({int(y.sum()):,} bought)")
            x = np.where(np.isnan(x).all(axis=0), 0.0, x)  # a feature missing everywhere: constant, not NaN
            clf = HistGradientBoostingClassifier(max_iter=self.max_iter, learning_rate=self.learning_rate,
                                                 max_leaf_nodes=31, min_samples_leaf=50, l2_regularization=1.0,
                                                 early_stopping=False, random_state=self.seed)
            with threadpool_limits(1):  # OpenMP threads thrash on a busy 2-core machine; one is enough here
                clf.fit(x, y)
            trees = hf.tree_arrays(clf)
        else:  # too little history to learn from: fall back to a fixed blend (see _score)
            trees = {key: np.zeros(0, dtype=np.int64) for key in ("feature", "left", "right", "offsets")}
            trees.update(threshold=np.zeros(0), missing_left=np.zeros(0, bool), leaf=np.zeros(0, bool),
                         value=np.zeros(0), baseline=np.zeros(0))
        for key, value in trees.items():
            setattr(self, f"tree_{key}_", value)
        self._progress(0.8, "hybrid: refitting base models on all data")
        state = self._state(data, events)
        self.customer_orders_, self.customer_first_, self.customer_last_ = state.orders, state.first_days, state.last_days
        self.habit_pairs_, self.habit_decay_, self.habit_orders_ = (state.recent_pairs, state.decay_pairs,
                                                                    state.recent_orders)
        self.base_names_ = list(state.bases)
        for name, model in state.bases.items():
            for key, value in vars(model).items():
                if key.endswith("_") and not key.startswith("_") and key not in ("data_", "fitted_"):
                    setattr(self, f"base_{name}__{key}", value)
        self._state_cache = state
        pop = self.popularity_
        self.fill_ = (pop / (pop.max() + 1.0) - 2.0).astype(np.float32)  # below any candidate's score

    # ---- scoring -----------------------------------------------------------------------------------------
    def _trees(self) -> dict[str, np.ndarray]:
        return {key: getattr(self, f"tree_{key}_") for key in
                ("feature", "threshold", "missing_left", "left", "right", "leaf", "value", "offsets", "baseline")}

    def _compiled_trees(self, trees: dict[str, np.ndarray]) -> list | None:
        """The trees as scikit-learn predictors, built once per fitted or loaded model."""
        cached = getattr(self, "_compiled", None)
        if cached is None or cached[0] is not trees["value"]:
            try:
                cached = (trees["value"], hf.compile_trees(trees))
            except (ImportError, AttributeError, TypeError, ValueError):
                cached = (trees["value"], None)
            self._compiled = cached
        return cached[1]

    def _live_state(self) -> hf.State:
        state = getattr(self, "_state_cache", None)
        if state is None or state.data is not self.data_:
            from recs.models import get_class

            bases = {}
            for name in self.base_names_:
                prefix = f"base_{name}__"
                params = {"l2": self.ease_l2} if name == "ease" else {"seed": self.seed} if name == "als" else {}
                model = get_class(name)(**params)
                model.data_ = self.data_
                for key, value in vars(self).items():
                    if key.startswith(prefix):
                        setattr(model, key[len(prefix):], value)
                model.fitted_ = True
                bases[name] = model
            state = hf.State(self.data_, self.customer_orders_, self.customer_first_, self.customer_last_, bases,
                             self.habit_pairs_, self.habit_decay_, self.habit_orders_)
            self._state_cache = state
        return state

    def _predict(self, f: np.ndarray) -> np.ndarray:
        trees = self._trees()
        if len(trees["offsets"]):
            raw = hf.tree_predict(trees, f, compiled=self._compiled_trees(trees))
            return 1.0 / (1.0 + np.exp(-raw))
        own = np.nan_to_num(f[:, hf.OWN_COUNT] / np.maximum(f[:, 16], 1))  # fallback: share of orders, then collab
        collab = np.nan_to_num(1.0 / (1.0 + np.nanmin(f[:, [7, 9, 11]], axis=1)), nan=0.0)
        return 0.5 * own + 0.5 * collab

    def _score(self, rows: np.ndarray) -> np.ndarray:
        state = self._live_state()
        out = np.tile(self.fill_, (len(rows), 1))
        rows = np.asarray(rows)
        batches = list(self._batches(state, rows, threads=2))
        self._last_batches = (rows.copy(), batches)  # recommend() asks for reasons of the same rows next
        parts = [(start + r, c, f) for start, _, r, c, f in batches]
        if parts:  # one pass of the trees over every candidate of the call: fewer, longer threaded traversals
            r, c, f = (np.concatenate(x) for x in zip(*parts, strict=True))
            out[r, c] = self._predict(f)
        return out

    # ---- explanations ------------------------------------------------------------------------------------
    def _reasons_batch(self, rows: np.ndarray, idx: np.ndarray, counts: np.ndarray) -> list[str]:
        """Reasons for a batch (row-major), computed from one candidate/feature pass over the batch."""
        rows = np.asarray(rows, dtype=np.int64)
        rec_b = np.repeat(np.arange(len(rows)), counts)
        rec_j = np.concatenate([idx[b, : counts[b]] for b in range(len(rows))]).astype(np.int64) if len(rows) \
            else np.zeros(0, dtype=np.int64)
        rec_row = rows[rec_b] if len(rows) else np.zeros(0, dtype=np.int64)
        known = np.unique(rows[rows >= 0])
        feats = np.full((len(rec_j), hf.N_FEATURES), np.nan)
        found = np.zeros(len(rec_j), dtype=bool)
        if len(known):
            state = self._live_state()
            n_p = self.data_.n_products
            want = rec_row * n_p + rec_j
            last = getattr(self, "_last_batches", None)  # the features _score just built for these customers
            self._last_batches = None
            same = last is not None and np.array_equal(last[0], known)
            for _, batch, r, c, f in (last[1] if same else self._batches(state, known, threads=2)):
                keys = batch[r] * n_p + c
                order = np.argsort(keys)
                pos = np.searchsorted(keys[order], want)
                pos = np.minimum(pos, len(keys) - 1)
                hit = (keys[order][pos] == want) & (rec_row >= 0) if len(keys) else np.zeros(len(want), bool)
                feats[hit] = f[order[pos[hit]]]
                found |= hit
        groups = list(hf.GROUPS)
        drops = np.zeros((len(rec_j), len(groups)))
        if found.any():
            full = self._raw(feats[found])
            for g, cols in enumerate(hf.GROUPS.values()):
                ablated = feats[found].copy()
                ablated[:, cols] = np.nan
                drops[found, g] = full - self._raw(ablated)
        top = np.array(groups, dtype=object)[np.argmax(drops, axis=1)] if len(rec_j) else np.zeros(0, dtype=object)
        collab = self._collab_reasons(rec_row, rec_j, found & (top != "item"))
        out = []
        for t in range(len(rec_j)):
            j = int(rec_j[t])
            if rec_row[t] < 0:
                out.append(self._cold_reason(j))
            elif not found[t]:
                out.append(self._popular_reason(j))
            else:
                out.append(self._signal_text(str(top[t]), feats[t], collab.get(t), j))
        return out

    def _reasons(self, row: int, items: np.ndarray) -> list[str]:
        items = np.asarray(items, dtype=np.int64)
        return self._reasons_batch(np.array([row]), items[None, :], np.array([len(items)]))

    def _collab_reasons(self, rec_row: np.ndarray, rec_j: np.ndarray, mask: np.ndarray) -> dict[int, str]:
        """'Because they bought X and Y (...)' from the first base model that has such a reason."""
        from recs.models import _explain

        out: dict[int, str] = {}
        todo = np.flatnonzero(mask)
        for name in hf.BASES:
            model = self._live_state().bases.get(name) if len(todo) else None
            if model is None:
                continue
            texts = _explain.contrib_reasons(model, rec_row[todo], rec_j[todo][:, None], np.ones(len(todo), int),
                                             model.why)
            left = []
            for t, text in zip(todo, texts, strict=True):
                if text.startswith("Because"):
                    out[int(t)] = text
                else:
                    left.append(t)
            todo = np.array(left, dtype=np.int64)
        return out

    def _raw(self, f: np.ndarray) -> np.ndarray:
        trees = self._trees()
        return (hf.tree_predict(trees, f, compiled=self._compiled_trees(trees)) if len(trees["offsets"])
                else self._predict(f))

    def _signal_text(self, group: str, f: np.ndarray, collab: str | None, j: int) -> str:
        count, since, cycle = f[hf.OWN_COUNT], f[hf.OWN_DAYS], f[hf.CYCLE]
        if group == "own" and count > 0:
            usual = f", usually re-bought every {cycle:.0f} days" if np.isfinite(cycle) else ""
            return f"Buy-again signal: bought {times(int(count))}, last {since:.0f} days ago{usual}"
        if group != "item" and collab:
            return f"Collaborative signal: {collab[0].lower()}{collab[1:]}"
        if count > 0:
            return f"Buy-again signal: bought {times(int(count))}, last {since:.0f} days ago"
        buyers = int(self._info.buyers[j])
        recent = int(self.recent_buyers_[j])
        return f"Popularity signal: {recent:,} buyers in the last 30 days ({buyers:,} in all)"
