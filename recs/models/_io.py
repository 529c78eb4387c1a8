"""Model files: every fitted array in one .npz plus a JSON header, read back with allow_pickle=False.

What is saved, with no per-model code: the training Interactions (`data_`), and every public attribute
ending in `_` that is a numpy array, a CSR/CSC matrix, or a JSON scalar/list. Caches (leading underscore)
are rebuilt on demand.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from recs.errors import InputError
from recs.interactions import Interactions

FORMAT = 1


def _put_sparse(arrays: dict[str, np.ndarray], key: str, m: Any) -> str:
    fmt = "csc" if sp.issparse(m) and m.format == "csc" else "csr"
    m = m.asformat(fmt)
    arrays[f"{key}.data"], arrays[f"{key}.indices"], arrays[f"{key}.indptr"] = m.data, m.indices, m.indptr
    arrays[f"{key}.shape"] = np.array(m.shape, dtype=np.int64)
    return fmt


def _get_sparse(z: Any, key: str, fmt: str) -> Any:
    cls = sp.csc_matrix if fmt == "csc" else sp.csr_matrix
    return cls((z[f"{key}.data"], z[f"{key}.indices"], z[f"{key}.indptr"]), shape=tuple(z[f"{key}.shape"]))


def _strings(values: Any) -> tuple[np.ndarray, np.ndarray]:
    vals = list(values)
    null = np.array([not isinstance(v, str) for v in vals], dtype=bool)
    return np.array(["" if n else v for v, n in zip(vals, null, strict=True)], dtype=str), null


def _put_data(arrays: dict[str, np.ndarray], d: Interactions) -> dict[str, Any]:
    for key in ("matrix", "counts", "last_days"):
        _put_sparse(arrays, f"d.{key}", getattr(d, key))
    arrays["d.customer_ids"] = np.array([str(c) for c in d.customer_ids], dtype=str)
    arrays["d.product_ids"] = np.array([str(p) for p in d.product_ids], dtype=str)
    kinds = {}
    for col in d.products.columns:
        s = d.products[col]
        if pd.api.types.is_bool_dtype(s):
            kinds[col] = "bool"
            arrays[f"p.{col}"] = s.to_numpy(dtype=bool)
        elif pd.api.types.is_numeric_dtype(s):
            kinds[col] = "float"
            arrays[f"p.{col}"] = s.to_numpy(dtype=np.float64, na_value=np.nan)
        else:
            kinds[col] = "str"
            arrays[f"p.{col}"], arrays[f"p.{col}.null"] = _strings(s.astype(object))
    return {"cutoff": d.cutoff.isoformat(), "weighting": d.weighting, "half_life_days": d.half_life_days,
            "products": kinds}


def _get_data(z: Any, info: dict[str, Any]) -> Interactions:
    cols = {}
    for col, kind in info["products"].items():
        v = z[f"p.{col}"]
        if kind == "str":
            v = np.where(z[f"p.{col}.null"], None, v.astype(object))
        elif kind == "bool":
            v = v.astype(bool)
        cols[col] = v
    products = pd.DataFrame(cols)
    for col in ("buyers",):
        if col in products:
            products[col] = products[col].astype(np.int64)
    return Interactions(matrix=_get_sparse(z, "d.matrix", "csr"), counts=_get_sparse(z, "d.counts", "csr"),
                        last_days=_get_sparse(z, "d.last_days", "csr"),
                        customer_ids=z["d.customer_ids"].astype(object), product_ids=z["d.product_ids"].astype(object),
                        products=products, cutoff=pd.Timestamp(info["cutoff"]), weighting=info["weighting"],
                        half_life_days=float(info["half_life_days"]))


def write(path: str | Path, model: Any, extra: dict[str, Any]) -> None:
    """Write `model` to `path` (exactly that name; no suffix is added)."""
    arrays: dict[str, np.ndarray] = {}
    scalars: dict[str, Any] = {}
    dense: list[str] = []
    sparse: dict[str, str] = {}
    for key, value in vars(model).items():
        if key.startswith("_") or not key.endswith("_") or key == "data_":
            continue
        if isinstance(value, np.ndarray):
            if value.dtype == object:
                value = np.array([str(v) for v in value.ravel()], dtype=str).reshape(value.shape)
            arrays[f"m.{key}"] = value
            dense.append(key)
        elif sp.issparse(value):
            sparse[key] = _put_sparse(arrays, f"m.{key}", value)
        elif value is None or isinstance(value, bool | int | float | str | list | dict):
            scalars[key] = value.item() if isinstance(value, np.generic) else value
        elif isinstance(value, np.generic):
            scalars[key] = value.item()
        else:
            raise TypeError(f"model {model.name}: cannot save attribute {key} of type {type(value).__name__}")
    header = {"format": FORMAT, "model": model.name, "params": model.get_params(), "scalars": scalars,
              "dense": dense, "sparse": sparse, "data": _put_data(arrays, model.data_), "extra": extra}
    arrays["__meta__"] = np.array(json.dumps(header, default=str))
    with open(path, "wb") as fh:
        np.savez(fh, **arrays)


def read(path: str | Path, cls: Any) -> tuple[Any, dict[str, Any]]:
    """Load a model file; `cls` is the expected class, or the abstract base to pick it from the registry."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"model file not found: {path}")
    try:
        z = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read model file {path}: {exc}") from exc
    with z:
        header = json.loads(str(z["__meta__"]))
        if header.get("format") != FORMAT:
            raise InputError(f"model file {path} has an unknown format {header.get('format')!r}")
        if not getattr(cls, "name", ""):
            from recs.models import get_class

            cls = get_class(header["model"])
        elif cls.name != header["model"]:
            raise InputError(f"model file {path} holds model {header['model']!r}, not {cls.name!r}")
        model = cls(**header["params"])
        model.data_ = _get_data(z, header["data"])
        for key in header["dense"]:
            value = z[f"m.{key}"]
            setattr(model, key, value.astype(object) if value.dtype.kind == "U" else value)
        for key, fmt in header["sparse"].items():
            setattr(model, key, _get_sparse(z, f"m.{key}", fmt))
        for key, value in header["scalars"].items():
            setattr(model, key, value)
    return model, header.get("extra", {})


def read_meta(path: str | Path) -> dict[str, Any]:
    """The JSON header of a model file, without loading the model."""
    with np.load(path, allow_pickle=False) as z:
        return json.loads(str(z["__meta__"]))
