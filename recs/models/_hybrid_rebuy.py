"""The "due to re-buy" signal as features of the `hybrid` re-ranker (issue 15), from the model's own events.

The same rule as `recs.predict.rebuy.due_to_rebuy`, which reads the warehouse: per (customer, product) bought on
two days or more, the cycle is the customer's own median gap between purchase days when they have two gaps or
more, else the product's dominant-hump cycle (`recs.predict.rebuy.product_cycles`, robust to two-humped cycles);
the pair is due when the last purchase + the cycle falls in the next `days` days or is overdue by at most half a
cycle, and its score is (1 - |days to due| / max(cycle, days)) x (times - 1) / times. Here the rows and columns
are the Interactions' own, so the re-ranker can read them for any candidate.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

DAY_NS = 86_400 * 10**9


def rebuy_matrices(shape: tuple[int, int], events: pd.DataFrame, cutoff: pd.Timestamp,
                   days: int) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """(due-to-re-buy score, cycle in days) per (customer row, product column) from per-order events before
    `cutoff`: the score only where the pair is due in the next `days` days, the cycle wherever one is known."""
    from recs.predict.rebuy import product_cycles

    ev = events[events["ordered_at"] < cutoff]
    day = ev["ordered_at"].to_numpy(dtype="datetime64[ns]").astype("datetime64[D]").astype(np.int64)
    frame = pd.DataFrame({"row": ev["row"].to_numpy(np.int64), "col": ev["col"].to_numpy(np.int64), "day": day})
    frame = frame.drop_duplicates().sort_values(["row", "col", "day"])
    same = (frame["row"].diff() == 0) & (frame["col"].diff() == 0)
    frame["gap"] = frame["day"].diff().where(same).astype(float)
    pairs = frame.groupby(["row", "col"]).agg(times=("day", "size"), last=("day", "max"), own=("gap", "median"),
                                              gaps=("gap", "count")).reset_index()
    pairs = pairs[pairs["times"] >= 2]
    gaps = frame.loc[frame["gap"].notna(), ["col", "gap"]].rename(columns={"col": "product_id"})
    product = pairs["col"].map(product_cycles(gaps)) if len(gaps) else pd.Series(np.nan, index=pairs.index)
    use_own = (pairs["gaps"] >= 2) | product.isna()
    cycle = np.where(use_own, pairs["own"], product).astype(float)
    today = cutoff.normalize().to_datetime64().astype("datetime64[D]").astype(np.int64)
    due_in = cycle - (today - pairs["last"].to_numpy(np.int64))
    due = (due_in <= days) & (due_in >= -0.5 * cycle) & (cycle > 0)
    closeness = np.clip(1 - np.abs(due_in) / np.maximum(cycle, days), 0, 1)
    times = pairs["times"].to_numpy(float)
    score = np.where(due, closeness * (times - 1) / times, 0.0)
    r, c = pairs["row"].to_numpy(np.int64), pairs["col"].to_numpy(np.int64)
    keep = score > 0
    scores = sp.csr_matrix((score[keep], (r[keep], c[keep])), shape=shape)
    known = cycle > 0
    cycles = sp.csr_matrix((cycle[known], (r[known], c[known])), shape=shape)
    return scores, cycles
