"""ALS at scale: Spark MLlib's ALS (implicit preferences) on the lake, stored as a normal Repeat `als` model file.

The purchases are aggregated on the cluster (`recs/sql/lake/purchases.sql`: one row per customer, product and
order) and turned into the same `Interactions` our `als` trains on (`recs.interactions.from_lines`, the same
weighting); MLlib then fits with our `als` parameters: rank = factors, regParam = regularization, alpha (confidence
c = 1 + alpha * x, as in `implicit`), maxIter = iterations, seed. The factors come back in our row/column order and
the model is saved through `recs.models.store.save_model`, so preview, export and the live service read it as any
`als` run. One difference is documented (docs/scale-out.md): MLlib scales the L2 penalty by each customer's and
product's number of purchases (ALS-WR), `implicit` does not.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from recs import db, sql
from recs.errors import InputError, ModelCannotFit, RepeatError
from recs.interactions import Interactions, from_lines, to_timestamp
from recs.models.als import ALS
from recs.models.store import save_model
from recs.runs import TrainedModel, new_run_id
from recs.spark.engine import SparkEngine
from recs.spark.session import first_line
from recs.training import data_fingerprint

Progress = Any


class SparkFactorsALS(ALS):
    """Our `als` whose factors were fitted by Spark MLlib: `_fit` takes them as given (same name, same file)."""

    def __init__(self, given: tuple[np.ndarray, np.ndarray] | None = None, **params: Any) -> None:
        super().__init__(**params)
        self._given = given

    def _fit(self, data: Interactions) -> None:
        if self._given is None:
            raise RepeatError("SparkFactorsALS needs the factors Spark fitted (use train_spark_als)")
        self.user_factors_, self.item_factors_ = self._given


def spark_interactions(engine: SparkEngine, until: Any = None, weighting: str = "binary",
                       half_life_days: float = 90.0) -> Interactions:
    """The customer x product matrices of the lake, from the purchases aggregated on Spark."""
    cutoff = to_timestamp(until, "train until")
    lines = engine.execute(sql.load("lake/purchases"), {"until": None if cutoff is None else cutoff}).df()
    if lines.empty:
        when = f" before {cutoff:%Y-%m-%d}" if cutoff is not None else ""
        raise InputError(f"no valid purchases of real products by known customers{when} in the lake: nothing to "
                         "train on")
    products = engine.execute(sql.load("interactions/products")).df()
    if cutoff is None:  # as build_interactions: "as of" the day after the last purchase
        cutoff = pd.Timestamp(lines["ordered_at"].max()).normalize() + pd.Timedelta(days=1)
    return from_lines(lines, products, cutoff, weighting, half_life_days)


def spark_factors(session: Any, data: Interactions, model: ALS) -> tuple[np.ndarray, np.ndarray]:
    """Fit MLlib ALS (implicit) on `data.matrix` with `model`'s parameters; factors in our row/column order."""
    from pyspark.ml.recommendation import ALS as MLlibALS

    coo = data.matrix.tocoo()
    ratings = session.createDataFrame(pa.table({"row": coo.row.astype(np.int32), "col": coo.col.astype(np.int32),
                                                "value": coo.data.astype(np.float32)}))
    als = MLlibALS(rank=model.factors, maxIter=model.iterations, regParam=model.regularization, alpha=model.alpha,
                   implicitPrefs=True, seed=model.seed, userCol="row", itemCol="col", ratingCol="value",
                   nonnegative=False, numUserBlocks=4, numItemBlocks=4)
    try:
        fitted = als.fit(ratings)
        users = fitted.userFactors.toArrow()
        items = fitted.itemFactors.toArrow()
    except Exception as exc:
        raise ModelCannotFit(f"Spark ALS could not fit: {first_line(exc)}") from exc
    return (_dense(users, data.n_customers, model.factors), _dense(items, data.n_products, model.factors))


def _dense(table: pa.Table, n: int, rank: int) -> np.ndarray:
    """MLlib's (id, features) rows as an n x rank float32 array (ids MLlib never saw stay zero, as in implicit)."""
    out = np.zeros((n, rank), dtype=np.float32)
    ids = table.column("id").to_numpy()
    if len(ids):
        out[ids] = np.asarray(table.column("features").to_pylist(), dtype=np.float32)
    if not np.all(np.isfinite(out)):
        raise ModelCannotFit("Spark ALS: its factors came out as NaN or infinite (raise the regularization)")
    return out


def train_spark_als(engine: SparkEngine, db_path: str | Path, params: dict[str, Any] | None = None,
                    until: Any = None, weighting: str | None = None, progress: Progress | None = None,
                    half_life_days: float = 90.0, store: bool = True) -> TrainedModel:
    """Train MLlib ALS on the lake of `engine` and store it as an `als` run beside `db_path` (the warehouse the
    lake was exported from: when it still holds the same orders, the run counts as current there)."""
    def report(fraction: float, message: str) -> None:
        if progress is not None:
            progress(fraction, message)

    plain = ALS(**(params or {}))  # checks the parameters the way `als` does
    weighting = weighting or ALS.default_weighting
    cutoff = to_timestamp(until, "train until")
    report(0.0, "reading purchases on Spark")
    started = time.perf_counter()
    data = spark_interactions(engine, cutoff, weighting, half_life_days)
    read_seconds = time.perf_counter() - started
    report(0.2, f"Spark ALS: {plain.iterations} sweeps over {data.matrix.nnz:,} purchases")
    started = time.perf_counter()
    model = SparkFactorsALS(spark_factors(engine.session, data, plain), **plain.get_params())
    model.fit(data)
    fit_seconds = time.perf_counter() - started
    trained_at = datetime.now(UTC).isoformat(timespec="seconds")
    run = TrainedModel(
        model=model, name="als", params=model.get_params(), weighting=weighting,
        half_life_days=half_life_days if weighting == "recency" else None,
        train_until=None if cutoff is None else cutoff.isoformat(), train_cutoff=data.cutoff.isoformat(),
        fingerprint=_fingerprint(db_path, engine), customers=data.n_customers, products=data.n_products,
        interactions=int(data.matrix.nnz), read_seconds=round(read_seconds, 3), fit_seconds=round(fit_seconds, 3),
        trained_at=trained_at, run_id=new_run_id("als", trained_at),
        extra={"engine": "spark", "spark_master": engine.master, "lake": engine.lake})
    if store:
        report(0.96, "saving")
        run = save_model(db_path, run)
        if run.fingerprint is not None:  # the warehouse holds these orders: refresh the live service's bundle too
            _write_bundle(db_path, run)
    report(1.0, "done")
    return run


def _write_bundle(db_path: str | Path, run: TrainedModel) -> None:
    """The serving bundle (catalogue, cold-start list) beside the warehouse, as `recs.training.train_model` writes."""
    from recs.service.bundle import write_serving_bundle  # as training.py does: the service imports training

    con = db.connect(db_path, read_only=True)
    try:
        write_serving_bundle(con, db_path, run)
    finally:
        con.close()


def _fingerprint(db_path: str | Path, engine: SparkEngine) -> dict[str, Any] | None:
    """The warehouse's data fingerprint when `db_path` holds the orders the lake was exported from, else None."""
    if not Path(db_path).exists():
        return None
    con = db.connect(db_path, read_only=True)
    try:
        if db.orders_version(con) != engine.orders_version:
            return None
        return data_fingerprint(con)
    finally:
        con.close()
