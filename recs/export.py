"""Campaign lists: the top-K products for every customer (or one RFM segment), ready for an e-mail tool.

One function (`campaign_list`) serves the Recommendations page's download and `python -m recs recommend`,
so the page's CSV and the CLI's CSV are the same bytes for the same request.

Who is in the list: every customer with at least one valid order line strictly before the cutoff (the
model's training cutoff), or, with a segment, those of them whose RFM segment as of the cutoff is that one.
With a holdout share, a seeded random control group is drawn by `recs.experiments.holdout.assign_holdout`,
every customer's variant is recorded in `assignments`, and the control customers are left out of the file.
A customer the rules leave without any product (e.g. Discovery on a one-product shop) has no row; the Campaign
counts them and says why (`Campaign.without`, `empty_reason`). Scores keep every digit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from recs import sql
from recs.errors import InputError
from recs.interactions import to_timestamp
from recs.rules import Rules, why_empty
from recs.runs import TrainedModel

EXPORT_COLUMNS = ["customer_id", "rank", "product_id", "score", "product_name", "reason"]
ALL_CUSTOMERS = "All customers"
BATCH = 2000

Progress = Callable[[float, str], None]

@dataclass
class Campaign:
    """A built campaign list and what went into it (for the page's summary and the CLI's stderr)."""

    frame: pd.DataFrame  # EXPORT_COLUMNS, one row per customer and rank
    customers: int  # customers in the file
    held_out: int  # control customers left out (0 without a holdout)
    experiment_id: str | None
    segment: str | None
    cutoff: pd.Timestamp | None
    without: int = 0  # customers in the list who got no product at all (the rules left none)
    empty_reason: str | None = None  # why, in words, when `without` > 0

    @property
    def rows(self) -> int:
        return len(self.frame)

    def summary(self) -> str:
        """One line saying what the list holds: customers, rows, and who got nothing and why."""
        text = f"{self.customers:,} customers, {self.rows:,} rows"
        if self.without:
            who = "every customer" if self.without == self.customers else f"{self.without:,} customers"
            text += f"; {who} got no product: {self.empty_reason}"
        return text


def check_k(k: Any) -> int:
    """K must be a whole number >= 1."""
    try:
        value = int(k)
    except (TypeError, ValueError) as exc:
        raise InputError(f"K must be a whole number of recommendations per customer, got {k!r}") from exc
    if value <= 0 or value != float(k):
        raise InputError(f"K must be at least 1, got {k!r}")
    return value


def check_holdout(holdout: Any, experiment_id: str | None) -> tuple[float | None, str | None]:
    """A holdout share strictly between 0 and 1 and a non-empty experiment id, or neither."""
    if holdout is None:
        return None, None
    try:
        share = float(holdout)
    except (TypeError, ValueError) as exc:
        raise InputError(f"holdout must be a share between 0 and 1, e.g. 0.1, got {holdout!r}") from exc
    if not 0.0 < share < 1.0:
        raise InputError(f"holdout must be a share strictly between 0 and 1 (e.g. 0.1), got {holdout!r}")
    name = (experiment_id or "").strip()
    if not name:
        raise InputError("a holdout needs an experiment id (--experiment ID) to record the assignments under")
    return share, name


def check_orders(con: Any, cutoff: Any = None) -> pd.Timestamp | None:
    """InputError when the warehouse has no orders, or none before `cutoff`; returns the parsed cutoff."""
    from recs.db import has_schema

    stamp = to_timestamp(cutoff, "train until")
    if not has_schema(con):
        raise InputError("this file is not a Repeat database (its order tables are missing): import orders into it "
                         "first or pass the right --db")
    if sql.run(con, "export/count_before", [None, None]).fetchone()[0] == 0:
        raise InputError("the database has no orders by known customers: import orders first (Data page or "
                         "`python -m recs import`)")
    require_products(con)
    param = None if stamp is None else stamp.to_pydatetime()
    if stamp is not None and sql.run(con, "export/count_before", [param, param]).fetchone()[0] == 0:
        first = sql.run(con, "export/first_order").fetchone()[0]
        raise InputError(f"no orders before {stamp:%Y-%m-%d}: the first order is on {first:%Y-%m-%d}; "
                         "choose a later train-until date")
    return stamp


def require_products(con: Any) -> None:
    """InputError when the shop has orders but no product sold (orders-only data): recommendations need products."""
    from recs.shops import has_products

    if not has_products(con):
        raise InputError("this shop has orders but no products (its data came without a product column): every "
                         "manager metric works, but recommendations, their training and evaluation need product "
                         "ids; import order lines with a product column")


def campaign_customers(con: Any, cutoff: Any = None, segment: str | None = None) -> list[str]:
    """Customers seen before `cutoff` (all when None), optionally only one RFM segment as of the cutoff."""
    stamp = to_timestamp(cutoff, "cutoff")
    param = None if stamp is None else stamp.to_pydatetime()
    customers = [str(c) for c in sql.run(con, "export/campaign_customers", [param, param]).df()["customer_id"]]
    if segment is None or segment == ALL_CUSTOMERS:
        return customers
    from recs.predict.report import AUDIENCES

    if segment in AUDIENCES:  # from predictions (recs/predict/audiences.py), most valuable / most due first
        from recs.predict.audiences import audience_customers

        known = set(customers)
        return [c for c in audience_customers(con, stamp, segment) if c in known]
    from recs.metrics import Filters, rfm_segments, segment_names

    known = list(segment_names())
    if segment not in known:
        raise InputError(f"unknown segment {segment!r}; known segments: {', '.join(known)}")
    # RFM over the orders before the cutoff only (Filters.end is an exclusive date: round a time of day up)
    filters = None if stamp is None else Filters(end=stamp.ceil("D").date())
    rfm = rfm_segments(con, filters=filters)
    wanted = set(rfm.loc[rfm["segment"] == segment, "customer_id"].astype(str))
    return [c for c in customers if c in wanted]


def model_cutoff(model: Any) -> pd.Timestamp | None:
    """The training cutoff of a fitted model (lines strictly before it were used)."""
    data = getattr(model, "data_", None)
    return getattr(data, "cutoff", None)


def fit_model(con: Any, name: str, params: dict | None = None, until: Any = None, weighting: str | None = None,
              progress: Progress | None = None) -> TrainedModel:
    """Train a registry model in memory (nothing stored) on valid lines strictly before `until`."""
    from recs.models import get_class
    from recs.training import train_model

    get_class(name)  # unknown name -> InputError listing the known ones, before reading any data
    check_orders(con, until)
    return train_model(con, None, name, params=params, until=until, weighting=weighting, progress=progress,
                       store=False)


def recommendations_frame(model: Any, customer_ids: list[str], k: int, rules: Rules | None = None,
                          progress: Progress | None = None) -> pd.DataFrame:
    """Top-k rows per customer in EXPORT_COLUMNS order, in batches (bounded memory), customers in given order."""
    k = check_k(k)
    rules = rules if rules is not None else Rules()
    parts: list[pd.DataFrame] = []
    total = max(len(customer_ids), 1)
    for start in range(0, len(customer_ids), BATCH):
        batch = customer_ids[start:start + BATCH]
        parts.append(model.recommend(batch, k=k, rules=rules))
        if progress:
            progress(min(1.0, (start + len(batch)) / total), f"recommended for {start + len(batch):,} customers")
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in EXPORT_COLUMNS})
    frame = pd.concat(parts, ignore_index=True)
    frame["customer_id"] = frame["customer_id"].astype(str)
    order = {c: i for i, c in enumerate(customer_ids)}
    frame = frame.assign(_o=frame["customer_id"].map(order)).sort_values(["_o", "rank"], kind="stable")
    frame["rank"] = frame["rank"].astype("int64")
    frame["score"] = frame["score"].astype(float)  # every digit: the file rounds nothing
    return frame[EXPORT_COLUMNS].reset_index(drop=True)


def campaign_list(con: Any, model: Any, k: int = 10, rules: Rules | None = None, segment: str | None = None,
                  holdout: float | None = None, experiment_id: str | None = None, seed: int = 0,
                  assigned_at: Any = None, cutoff: Any = None, progress: Progress | None = None) -> Campaign:
    """Build the campaign list for every customer seen before the model's cutoff (or one segment).

    With `holdout` (0 < share < 1) and `experiment_id`, a seeded control share is drawn and recorded in
    `assignments` (assigned_at = now unless given) and left out of the file.
    """
    k = check_k(k)
    share, experiment = check_holdout(holdout, experiment_id)
    cutoff = to_timestamp(cutoff) if cutoff is not None else model_cutoff(model)
    customers = campaign_customers(con, cutoff, segment)
    held_out = 0
    if share is not None:
        if not customers:
            raise InputError("no customers to split into treatment and control")
        from recs.experiments.holdout import assign_holdout

        assigned = assign_holdout(con, experiment, customers, share, seed=seed, assigned_at=assigned_at)
        treated = set(assigned.loc[assigned["variant"] == "treatment", "customer_id"].astype(str))
        held_out = len(customers) - len(treated)
        customers = [c for c in customers if c in treated]
    frame = recommendations_frame(model, customers, k, rules, progress)
    from recs.predict.report import DUE_TO_REBUY

    if segment == DUE_TO_REBUY:  # the due product first in each customer's list
        from recs.predict.audiences import put_due_first

        frame = put_due_first(con, frame, customers, cutoff, k)
    seg = None if segment in (None, ALL_CUSTOMERS) else segment
    without = len(customers) - int(frame["customer_id"].nunique())
    reason = why_empty(model.data_, rules or Rules()) if without else None
    return Campaign(frame=frame, customers=len(customers), held_out=held_out, experiment_id=experiment,
                    segment=seg, cutoff=cutoff, without=without, empty_reason=reason)
