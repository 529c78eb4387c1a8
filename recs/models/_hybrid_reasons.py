"""The `hybrid`'s explanations: for each recommendation, the signal group (hf.GROUPS) whose removal lowers the
re-ranker's raw score most, in words: a buy-again signal (orders, days since, usual cycle), a collaborative one
("because they bought X and Y", from the first base model that has such a reason), or popularity.

Everything is computed from the candidates' features, either those scoring just built (the context `recommend`
passes on) or rebuilt for the customers; nothing is written to the model.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

import recs.models._hybrid_features as hf
from recs.models._explain import explain_by_contributions
from recs.models.base import Recommender
from recs.models.repeat import times

COLUMN = hf.COLUMN


def hybrid_reasons(model: Recommender, state: hf.State, raw: Callable[[np.ndarray], np.ndarray], rows: np.ndarray,
                   idx: np.ndarray, counts: np.ndarray, batches: Iterable[tuple]) -> list[str]:
    """One text per recommendation `idx[b, :counts[b]]` of the known customer `rows` (row-major). `batches` are
    the candidate batches (hf.candidate_batches) covering these rows; `raw(features)` is the re-ranker's raw score."""
    rows = np.asarray(rows, dtype=np.int64)
    rec_row = np.repeat(rows, counts)
    rec_j = (np.concatenate([idx[b, : counts[b]] for b in range(len(rows))]).astype(np.int64) if len(rows)
             else np.zeros(0, dtype=np.int64))
    feats, found = _candidate_features(rec_row, rec_j, model.data_.n_products, batches)
    groups = list(hf.GROUPS)
    drops = np.zeros((len(rec_j), len(groups)))
    if found.any():
        full = raw(feats[found])
        for g, names in enumerate(hf.GROUPS.values()):
            ablated = feats[found].copy()
            ablated[:, hf.columns(names)] = np.nan
            drops[found, g] = full - raw(ablated)
    top = np.array(groups, dtype=object)[np.argmax(drops, axis=1)] if len(rec_j) else np.zeros(0, dtype=object)
    collab = _collab_reasons(state, rec_row, rec_j, found & (top != "item"))
    out = []
    for t in range(len(rec_j)):
        j = int(rec_j[t])
        if not found[t]:
            out.append(model.popular_reason(j))
        else:
            out.append(_signal_text(model, str(top[t]), feats[t], collab.get(t), j))
    return out


def _candidate_features(rec_row: np.ndarray, rec_j: np.ndarray, n_products: int,
                        batches: Iterable[tuple]) -> tuple[np.ndarray, np.ndarray]:
    """(features, found) per recommendation: the features of the candidate (row, product), NaN and False for a
    recommendation that is not a candidate (a filler ranked by popularity)."""
    feats = np.full((len(rec_j), hf.N_FEATURES), np.nan)
    found = np.zeros(len(rec_j), dtype=bool)
    want = rec_row * n_products + rec_j
    for _, batch, r, c, f in batches:
        keys = batch[r] * n_products + c
        order = np.argsort(keys)
        pos = np.minimum(np.searchsorted(keys[order], want), len(keys) - 1)
        hit = (keys[order][pos] == want) if len(keys) else np.zeros(len(want), bool)
        feats[hit] = f[order[pos[hit]]]
        found |= hit
    return feats, found


def _collab_reasons(state: hf.State, rec_row: np.ndarray, rec_j: np.ndarray, mask: np.ndarray) -> dict[int, str]:
    """'Because they bought X and Y (...)' from the first base model that has such a reason."""
    out: dict[int, str] = {}
    todo = np.flatnonzero(mask)
    for name in hf.BASES:
        model = state.bases.get(name) if len(todo) else None
        if model is None:
            continue
        texts = explain_by_contributions(model, rec_row[todo], rec_j[todo][:, None], np.ones(len(todo), int))
        left = []
        for t, text in zip(todo, texts, strict=True):
            if text.startswith("Because"):
                out[int(t)] = text
            else:
                left.append(t)
        todo = np.array(left, dtype=np.int64)
    return out


def _signal_text(model: Recommender, group: str, f: np.ndarray, collab: str | None, j: int) -> str:
    count, since, cycle = f[COLUMN["own_orders"]], f[COLUMN["own_days_since"]], f[COLUMN["cycle_days"]]
    if group == "own" and count > 0:
        usual = f", usually re-bought every {cycle:.0f} days" if np.isfinite(cycle) else ""
        return f"Buy-again signal: bought {times(int(count))}, last {since:.0f} days ago{usual}"
    if group != "item" and collab:
        return f"Collaborative signal: {collab[0].lower()}{collab[1:]}"
    if count > 0:
        return f"Buy-again signal: bought {times(int(count))}, last {since:.0f} days ago"
    buyers = int(model.info.buyers[j])
    recent = int(model.recent_buyers_[j])
    return f"Popularity signal: {recent:,} buyers in the last 30 days ({buyers:,} in all)"
