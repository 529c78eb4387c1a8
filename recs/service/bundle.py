"""The serving bundle: what the service needs besides a model file, written beside the models at training time.

The service never opens the DuckDB file (the app holds it: one writing process per file). A stored model already
holds the customer x product history as of training and the real products; the bundle adds the whole catalogue
(non-products too, so an order line for postage validates), the rules the service applies, and the cold-start
list the service answers with when no model is stored. Written atomically (`<db>.models/serving/`), replaced at
every training.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from recs import sql
from recs.atomic import write_atomic
from recs.models.store import models_dir
from recs.rules import Rules
from recs.runs import TrainedModel

BUNDLE_FORMAT = 1
COLD_LIST = 100  # products kept for the no-model cold-start answer


def bundle_dir(db_path: str | Path) -> Path:
    """The folder of the serving bundle of one database."""
    return models_dir(db_path) / "serving"


@dataclass(frozen=True)
class Bundle:
    """The catalogue, rules and cold-start list the service reads (read-only, shared by every request)."""

    products: pd.DataFrame  # product_id, name, category, is_product, in_stock, unit_price
    rules: Rules
    cold_list: list[dict[str, Any]]  # product_id, product_name, score, reason: best first
    written_at: str = ""
    data_version: int | None = None  # the last import of orders or products the bundle saw
    _known: frozenset[str] = field(default=frozenset(), repr=False)

    def knows_product(self, product_id: str) -> bool:
        """True for any product id in the catalogue (real products and non-products)."""
        return product_id in self._known


def make_bundle(products: pd.DataFrame, rules: Rules, cold_list: list[dict[str, Any]], written_at: str = "",
                data_version: int | None = None) -> Bundle:
    """A Bundle with its id lookup built once."""
    products = products.reset_index(drop=True)
    known = frozenset(products["product_id"].astype(str))
    return Bundle(products, rules, cold_list, written_at, data_version, known)


def bundle_from_model(run: TrainedModel) -> Bundle:
    """A bundle from a model alone (a model stored before bundles existed): real products only, default rules."""
    data = run.model.data_
    return make_bundle(data.products[["product_id", "name", "category", "is_product", "in_stock", "unit_price"]],
                       Rules(), cold_list(run), run.trained_at, run.data_version)


def cold_list(run: TrainedModel, k: int = COLD_LIST) -> list[dict[str, Any]]:
    """The model's cold-start list (what an unknown customer gets under the default rules), best first."""
    frame = run.model.recommend(["\x00no customer\x00"], k=k, rules=Rules())
    return [{"product_id": r.product_id, "product_name": r.product_name, "score": float(r.score),
             "reason": r.reason} for r in frame.itertuples()]


def write_serving_bundle(con: Any, db_path: str | Path, run: TrainedModel, rules: Rules | None = None) -> Path:
    """Write the serving bundle of `db_path` from the warehouse (`con`) and the model just trained (`run`).

    The catalogue comes from the warehouse; the cold-start list from the model. Returns the bundle folder.
    """
    folder = bundle_dir(db_path)
    products = sql.run(con, "service/catalogue").df()
    products["product_id"] = products["product_id"].astype(str)
    write_atomic(folder / "catalogue.parquet", lambda tmp: products.to_parquet(tmp, index=False))
    meta = {"format": BUNDLE_FORMAT, "written_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "data_version": run.data_version, "rules": (rules or Rules()).to_dict(), "cold_list": cold_list(run)}
    write_atomic(folder / "bundle.json",
                  lambda tmp: Path(tmp).write_text(json.dumps(meta, indent=1, default=str), encoding="utf-8"))
    return folder


def read_bundle(db_path: str | Path) -> Bundle | None:
    """The serving bundle of `db_path`, or None when none was written (or it cannot be read)."""
    folder = bundle_dir(db_path)
    try:
        meta = json.loads((folder / "bundle.json").read_text(encoding="utf-8"))
        products = pd.read_parquet(folder / "catalogue.parquet")
    except (OSError, ValueError):
        return None
    products["product_id"] = products["product_id"].astype(str)
    return make_bundle(products, Rules.from_dict(meta.get("rules")), list(meta.get("cold_list") or []),
                       str(meta.get("written_at") or ""), meta.get("data_version"))
