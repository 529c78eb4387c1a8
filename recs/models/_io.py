"""Model files: every fitted array in one .npz plus a JSON header, read back with allow_pickle=False.

This module knows nothing of model classes: it writes and reads a `ModelState` tree (recs/models/base.py turns a
model into one and back). Per model: the training Interactions (unless it is the parent model's), every fitted
value (numpy array, CSR/CSC matrix, JSON scalar/list/dict) and its nested models, whose arrays sit under the key
prefix `m.<attribute>/` (or `m.<attribute>/<key>/` for a dict of models). Caches are rebuilt after loading.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from recs.errors import InputError
from recs.interactions import Interactions

FORMAT = 2  # 2: nested models; 1: before them (still read)
READABLE = (1, 2)


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


def _put_data(arrays: dict[str, np.ndarray], d: Interactions, prefix: str) -> dict[str, Any]:
    for key in ("matrix", "counts", "last_days"):
        _put_sparse(arrays, f"{prefix}d.{key}", getattr(d, key))
    arrays[f"{prefix}d.customer_ids"] = np.array([str(c) for c in d.customer_ids], dtype=str)
    arrays[f"{prefix}d.product_ids"] = np.array([str(p) for p in d.product_ids], dtype=str)
    kinds = {}
    for col in d.products.columns:
        s = d.products[col]
        if pd.api.types.is_bool_dtype(s):
            kinds[col] = "bool"
            arrays[f"{prefix}p.{col}"] = s.to_numpy(dtype=bool)
        elif pd.api.types.is_numeric_dtype(s):
            kinds[col] = "float"
            arrays[f"{prefix}p.{col}"] = s.to_numpy(dtype=np.float64, na_value=np.nan)
        else:
            kinds[col] = "str"
            arrays[f"{prefix}p.{col}"], arrays[f"{prefix}p.{col}.null"] = _strings(s.astype(object))
    return {"cutoff": d.cutoff.isoformat(), "weighting": d.weighting, "half_life_days": d.half_life_days,
            "products": kinds}


def _get_data(z: Any, info: dict[str, Any], prefix: str) -> Interactions:
    cols = {}
    for col, kind in info["products"].items():
        v = z[f"{prefix}p.{col}"]
        if kind == "str":
            v = np.where(z[f"{prefix}p.{col}.null"], None, v.astype(object))
        elif kind == "bool":
            v = v.astype(bool)
        cols[col] = v
    products = pd.DataFrame(cols)
    for col in ("buyers",):
        if col in products:
            products[col] = products[col].astype(np.int64)
    return Interactions(matrix=_get_sparse(z, f"{prefix}d.matrix", "csr"),
                        counts=_get_sparse(z, f"{prefix}d.counts", "csr"),
                        last_days=_get_sparse(z, f"{prefix}d.last_days", "csr"),
                        customer_ids=z[f"{prefix}d.customer_ids"].astype(object),
                        product_ids=z[f"{prefix}d.product_ids"].astype(object),
                        products=products, cutoff=pd.Timestamp(info["cutoff"]), weighting=info["weighting"],
                        half_life_days=float(info["half_life_days"]))


@dataclass
class ModelState:
    """What a model file holds for one model: its registry name, parameters, training data (None: the parent
    model's), fitted values (arrays, sparse matrices, JSON values) and nested models (one, or a dict of them)."""

    model: str
    params: dict[str, Any]
    data: Interactions | None
    values: dict[str, Any] = field(default_factory=dict)
    nested: dict[str, ModelState | dict[str, ModelState]] = field(default_factory=dict)


def _put_state(arrays: dict[str, np.ndarray], state: ModelState, prefix: str) -> dict[str, Any]:
    """Arrays of `state` under `prefix` into `arrays`; returns its JSON header."""
    scalars: dict[str, Any] = {}
    dense: list[str] = []
    sparse: dict[str, str] = {}
    for key, value in state.values.items():
        if isinstance(value, np.ndarray):
            if value.dtype == object:
                value = np.array([str(v) for v in value.ravel()], dtype=str).reshape(value.shape)
            arrays[f"{prefix}m.{key}"] = value
            dense.append(key)
        elif sp.issparse(value):
            sparse[key] = _put_sparse(arrays, f"{prefix}m.{key}", value)
        elif isinstance(value, np.generic):
            scalars[key] = value.item()
        elif value is None or isinstance(value, bool | int | float | str | list | dict):
            scalars[key] = value
        else:
            raise TypeError(f"model {state.model}: cannot save attribute {key} of type {type(value).__name__}")
    nested: dict[str, Any] = {}
    for key, sub in state.nested.items():
        if isinstance(sub, ModelState):
            nested[key] = {"kind": "one", "model": _put_state(arrays, sub, f"{prefix}m.{key}/")}
        else:
            nested[key] = {"kind": "dict", "models": {name: _put_state(arrays, s, f"{prefix}m.{key}/{name}/")
                                                      for name, s in sub.items()}}
    data = "parent" if state.data is None else _put_data(arrays, state.data, prefix)
    return {"model": state.model, "params": state.params, "scalars": scalars, "dense": dense, "sparse": sparse,
            "nested": nested, "data": data}


def _get_state(z: Any, header: dict[str, Any], prefix: str) -> ModelState:
    values: dict[str, Any] = {}
    for key in header["dense"]:
        value = z[f"{prefix}m.{key}"]
        values[key] = value.astype(object) if value.dtype.kind == "U" else value
    for key, fmt in header["sparse"].items():
        values[key] = _get_sparse(z, f"{prefix}m.{key}", fmt)
    values.update(header["scalars"])
    nested: dict[str, Any] = {}
    for key, sub in header.get("nested", {}).items():
        nested[key] = (_get_state(z, sub["model"], f"{prefix}m.{key}/") if sub["kind"] == "one" else
                       {name: _get_state(z, h, f"{prefix}m.{key}/{name}/") for name, h in sub["models"].items()})
    data = None if header["data"] == "parent" else _get_data(z, header["data"], prefix)
    return ModelState(model=header["model"], params=header["params"], data=data, values=values, nested=nested)


def write_state(path: str | Path, state: ModelState, extra: dict[str, Any]) -> None:
    """Write a model's state to `path` (exactly that name; no suffix is added)."""
    arrays: dict[str, np.ndarray] = {}
    header = {"format": FORMAT, **_put_state(arrays, state, ""), "extra": extra}
    arrays["__meta__"] = np.array(json.dumps(header, default=str))
    with open(path, "wb") as fh:
        np.savez(fh, **arrays)


def read_state(path: str | Path) -> tuple[ModelState, dict[str, Any]]:
    """(the model's state, the extra metadata saved with it) from a model file; files of format 1 (before nested
    models) are read the same way."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"model file not found: {path}")
    try:
        z = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read model file {path}: {exc}") from exc
    with z:
        header = json.loads(str(z["__meta__"]))
        if header.get("format") not in READABLE:
            raise InputError(f"model file {path} has an unknown format {header.get('format')!r}")
        state = _get_state(z, header, "")
    return state, header.get("extra", {})


def read_meta(path: str | Path) -> dict[str, Any]:
    """The JSON header of a model file, without loading the model."""
    with np.load(path, allow_pickle=False) as z:
        return json.loads(str(z["__meta__"]))
