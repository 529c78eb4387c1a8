"""Ranking metrics at K over recommendation lists, defined once (formulas in docs/models.md).

Every function takes plain data: `lists` maps a customer id to the ranked list of recommended product ids, and
`relevant` maps a customer id to the set of product ids they bought in the test window. Baselines in `bench/`
and our models are scored by the same functions, so the comparison is fair.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from scipy import sparse

RANKING_METRICS = ("precision", "recall", "ndcg", "map", "hit_rate")


def _discounts(k: int) -> np.ndarray:
    return 1.0 / np.log2(np.arange(2, k + 2))


def ranking_scores(ranked: Sequence[str], relevant: set[str], k: int) -> dict[str, float]:
    """Precision, recall, NDCG, average precision and hit for one customer's list, cut at `k`.

    Binary relevance: a recommended product is a hit when it is in `relevant`. Duplicates in `ranked` count once.
    """
    if k <= 0:
        raise ValueError("k must be positive")
    top: list[str] = []
    for item in ranked:
        if item not in top:
            top.append(item)
        if len(top) == k:
            break
    if not relevant:
        return dict.fromkeys(RANKING_METRICS, 0.0)
    hits = np.array([item in relevant for item in top], dtype=bool)
    n_hits = int(hits.sum())
    disc = _discounts(k)
    dcg = float(disc[: len(top)][hits].sum())
    idcg = float(disc[: min(len(relevant), k)].sum())
    precision_at = np.cumsum(hits) / np.arange(1, len(top) + 1) if len(top) else np.zeros(0)
    ap = float(precision_at[hits].sum()) / min(len(relevant), k)
    return {
        "precision": n_hits / k,
        "recall": n_hits / len(relevant),
        "ndcg": dcg / idcg,
        "map": ap,
        "hit_rate": 1.0 if n_hits else 0.0,
    }


def per_customer_metrics(lists: Mapping[str, Sequence[str]], relevant: Mapping[str, set[str]],
                         k: int) -> tuple[list[str], dict[str, np.ndarray]]:
    """`ranking_scores` of every customer in `relevant` with at least one relevant product (a missing list scores
    zero): (those customers in `relevant`'s order, one array per metric). Computed once, both averaged for the
    table and kept for paired comparisons between models.

    Same definitions as `ranking_scores` (tested equal), but only the hit flags are found customer by customer;
    the metrics are computed for all customers at once (0.6 s instead of 2.2 s for 90,000 customers).
    """
    if k <= 0:
        raise ValueError("k must be positive")
    customers = [c for c, rel in relevant.items() if rel]
    hits = np.zeros((len(customers), k), dtype=bool)
    n_relevant = np.zeros(len(customers))
    for i, customer in enumerate(customers):
        rel = relevant[customer]
        n_relevant[i] = len(rel)
        top = list(dict.fromkeys(lists.get(customer, ())))[:k]  # duplicates count once, first k distinct
        hits[i, : len(top)] = [item in rel for item in top]
    disc = _discounts(k)
    n_hits = hits.sum(axis=1)
    cut = np.minimum(n_relevant, k)
    ideal = np.cumsum(disc)[np.maximum(cut.astype(np.int64), 1) - 1]
    precision_at = np.cumsum(hits, axis=1) / np.arange(1, k + 1)
    arrays = {
        "precision": n_hits / k,
        "recall": n_hits / np.maximum(n_relevant, 1),
        "ndcg": (hits * disc).sum(axis=1) / ideal,
        "map": np.where(hits, precision_at, 0.0).sum(axis=1) / np.maximum(cut, 1),
        "hit_rate": (n_hits > 0).astype(np.float64),
    }
    return customers, arrays


def mean_ranking_metrics(lists: Mapping[str, Sequence[str]], relevant: Mapping[str, set[str]], k: int,
                         computed: tuple[list[str], dict[str, np.ndarray]] | None = None) -> dict:
    """Mean of `ranking_scores` over every customer in `relevant` (a missing list scores zero); `computed` reuses
    a `per_customer_metrics` result for the same arguments. No customer with a relevant product: NaN (blank)."""
    customers, arrays = computed if computed is not None else per_customer_metrics(lists, relevant, k)
    if not customers:  # nothing to score: blank (NaN), never a 0 that reads as "the model missed everything"
        return {**dict.fromkeys(RANKING_METRICS, float("nan")), "customers": 0}
    # summed one customer after another, in order: the same digits as a running total
    out = {name: sum(arrays[name].tolist()) / len(customers) for name in RANKING_METRICS}
    out["customers"] = len(customers)
    return out


def coverage(lists: Mapping[str, Sequence[str]], n_products: int, k: int) -> float:
    """Catalogue coverage: distinct products in any top-k list / products in the catalogue."""
    if n_products <= 0:
        return 0.0
    seen = {item for ranked in lists.values() for item in list(ranked)[:k]}
    return len(seen) / n_products


def novelty(lists: Mapping[str, Sequence[str]], buyers: Mapping[str, int], n_customers: int, k: int) -> float:
    """Mean self-information -log2((buyers(i) + 1) / (customers + 1)) of recommended items, in bits.

    `buyers` counts the distinct training customers who bought each product; unseen products count as 0 buyers.
    """
    values = [
        -np.log2((buyers.get(item, 0) + 1) / (n_customers + 1))
        for ranked in lists.values()
        for item in list(ranked)[:k]
    ]
    return float(np.mean(values)) if values else 0.0


def item_vectors(matrix: sparse.spmatrix) -> sparse.csc_matrix:
    """L2-normalised binary co-purchase column vectors (customers x products) for `diversity`."""
    binary = sparse.csc_matrix(matrix, dtype=np.float64, copy=True)
    binary.data[:] = 1.0
    norms = np.sqrt(np.asarray(binary.multiply(binary).sum(axis=0))).ravel()
    norms[norms == 0] = 1.0
    return sparse.csc_matrix(binary @ sparse.diags(1.0 / norms))


DENSE_GRAM_MAX = 4_000  # distinct recommended products up to which one dense Gram block serves every list


def diversity(lists: Mapping[str, Sequence[str]], vectors: sparse.csc_matrix, index: Mapping[str, int], k: int) -> float:
    """Intra-list diversity: mean over lists of 1 - mean pairwise cosine of the items' co-purchase vectors.

    Two products are similar when the same customers bought them. A product nobody bought has a zero vector and
    so cosine 0 with everything. Lists with fewer than two items are skipped. The cosines of every recommended
    product pair come from one Gram block (rows gathered per list, lists of equal length together), not one
    sparse product per list: 12,000 lists went from 28 s to well under a second.
    """
    rows = [[index[item] for item in list(ranked)[:k] if item in index] for ranked in lists.values()]
    rows = [r for r in rows if len(r) >= 2]
    if not rows:  # no list of two products: diversity is undefined (blank), not 0
        return float("nan")
    used = np.unique(np.concatenate([np.asarray(r, dtype=np.int64) for r in rows]))
    if len(used) > DENSE_GRAM_MAX:
        return float(np.mean([_list_diversity(vectors, r) for r in rows]))
    sub = vectors[:, used]
    gram = (sub.T @ sub).toarray()
    values = []
    for n in sorted({len(r) for r in rows}):
        pos = np.searchsorted(used, np.array([r for r in rows if len(r) == n], dtype=np.int64))
        block = gram[pos[:, :, None], pos[:, None, :]]
        off_diagonal = block.sum(axis=(1, 2)) - np.trace(block, axis1=1, axis2=2)
        values.append(1.0 - off_diagonal / (n * (n - 1)))
    return float(np.mean(np.concatenate(values)))


def _list_diversity(vectors: sparse.csc_matrix, cols: list[int]) -> float:
    n = len(cols)
    sub = vectors[:, cols]
    gram = (sub.T @ sub).toarray()
    return 1.0 - (gram.sum() - np.trace(gram)) / (n * (n - 1))
