"""Models at shop scale: building the interaction matrix and fitting every registry model, versus `implicit` ALS.

For each size (1M and 10M order lines; $BENCH_LINES to change) on the cached demo shop:
1. `recs.interactions.build_interactions` in its own process (time, peak memory); the result is saved to
   bench/.cache/ so every model is fitted on exactly the same matrix.
2. Every model of `recs.models.REGISTRY` with its default parameters, each in its own process with a time limit
   (PER_MODEL_TIMEOUT): fit seconds, CPU seconds, peak memory, and whether it finished, refused with a message
   (InputError, e.g. EASE above its catalogue cap) or was killed at the limit. The loading of the saved matrix
   is not timed; the peak memory includes it (the `load only` row shows that floor).
3. The baseline: `implicit.cpu.als.AlternatingLeastSquares` fitted directly on the same binary matrix with the
   same settings as our `als` (64 factors, 15 iterations, 2 threads). Ratio = model fit time / implicit ALS.
4. A synthetic shop with a 30,000-product catalogue (20,000 customers, 400,000 purchases): every model must
   finish or refuse with a clear message within WIDE_TIMEOUT (EASE is cubic in products and must refuse); then
   EASE on a catalogue exactly at its default cap (`max_items`), which must fit.
`load` is the 1-minute load average when each step started (the machine may be shared).
   $BENCH_WIDE=0 skips it.
"""

from __future__ import annotations

import json
import os
import time

import numpy as np

from bench._util import CACHE, Clock, demo_db, gb, label, load_average, run_child, sizes, table

PER_MODEL_TIMEOUT = float(os.environ.get("BENCH_MODEL_TIMEOUT", "300"))
BUILD_TIMEOUT = 1200.0
WIDE_PRODUCTS = 30_000  # a catalogue above EASE's default max_items (8,000)
WIDE_TIMEOUT = 180.0


def _paths(lines: int) -> dict[str, str]:
    stem = CACHE / f"interactions-{lines}"
    return {"npz": f"{stem}.npz", "products": f"{stem}.parquet", "meta": f"{stem}.json"}


def build_child(db: str, lines: int) -> dict:
    """Child: build the interactions from the warehouse (timed) and save them for the fit children. Reads a
    scratch copy of the cached database, read-only, so other benchmarks may hold the cached file meanwhile."""
    import shutil
    import tempfile

    from scipy import sparse

    from recs.db import connect
    from recs.interactions import build_interactions

    with tempfile.TemporaryDirectory() as tmp:
        copy = shutil.copy(db, os.path.join(tmp, "copy.duckdb"))
        con = connect(copy, read_only=True)
        with Clock() as c:
            data = build_interactions(con)
        con.close()
    paths = _paths(lines)
    np.savez(paths["npz"], customer_ids=data.customer_ids.astype(str), product_ids=data.product_ids.astype(str))
    for name in ("matrix", "counts", "last_days"):
        sparse.save_npz(f"{paths['npz'][:-4]}-{name}.npz", getattr(data, name))
    data.products.to_parquet(paths["products"])
    meta = {"cutoff": str(data.cutoff), "weighting": data.weighting, "half_life_days": data.half_life_days}
    with open(paths["meta"], "w") as fh:
        json.dump(meta, fh)
    return {"seconds": c.wall, "cpu": c.cpu, "customers": data.n_customers, "products": data.n_products,
            "nnz": int(data.matrix.nnz)}


def load_interactions(lines: int):
    """The Interactions saved by build_child (same matrices, ids, product table and cutoff)."""
    import pandas as pd
    from scipy import sparse

    from recs.interactions import Interactions

    paths = _paths(lines)
    ids = np.load(paths["npz"])
    with open(paths["meta"]) as fh:
        meta = json.load(fh)
    mats = {name: sparse.load_npz(f"{paths['npz'][:-4]}-{name}.npz").tocsr() for name in
            ("matrix", "counts", "last_days")}
    return Interactions(customer_ids=ids["customer_ids"].astype(object), product_ids=ids["product_ids"].astype(object),
                        products=pd.read_parquet(paths["products"]), cutoff=pd.Timestamp(meta["cutoff"]),
                        weighting=meta["weighting"], half_life_days=meta["half_life_days"], **mats)


def fit_child(lines: int, name: str) -> dict:
    """Child: fit registry model `name` (default parameters) on the saved interactions."""
    from recs.errors import RepeatError
    from recs.models import get_model

    data = load_interactions(lines)
    model = get_model(name)
    try:
        with Clock() as c:
            model.fit(data)
    except RepeatError as exc:
        return {"status": "refused", "message": str(exc)}
    return {"status": "ok", "seconds": c.wall, "cpu": c.cpu}


def load_only_child(lines: int) -> dict:
    """Child: only load the saved interactions (the memory floor of every fit child)."""
    data = load_interactions(lines)
    return {"status": "ok", "nnz": int(data.matrix.nnz)}


def wide_child(name: str, products: int = WIDE_PRODUCTS, customers: int = 20_000, cells: int = 400_000) -> dict:
    """Child: a synthetic shop with a very wide catalogue (random purchases, power-law popularity): does model
    `name` finish, refuse clearly, or blow up? EASE must refuse above its max_items."""
    import pandas as pd
    from scipy import sparse

    from recs.errors import RepeatError
    from recs.interactions import Interactions
    from recs.models import get_model

    rng = np.random.default_rng(0)
    rows = rng.integers(0, customers, cells)
    cols = np.minimum((rng.pareto(1.2, cells) * products / 50).astype(np.int64), products - 1)
    m = sparse.csr_matrix((np.ones(cells, np.float32), (rows, cols)), shape=(customers, products))
    m.data[:] = 1.0
    m.sort_indices()
    counts, last = m.copy(), m.copy()
    last.data = rng.uniform(1, 700, last.nnz).astype(np.float32)
    pids = np.array([f"P{i:06d}" for i in range(products)], dtype=object)
    table = pd.DataFrame({"product_id": pids, "name": [f"product {i} {'abcdefgh'[i % 8]}" for i in range(products)],
                          "category": [f"cat{i % 40}" for i in range(products)], "is_product": True, "in_stock": True,
                          "unit_price": 1.0, "buyers": np.diff(m.tocsc().indptr), "repurchase_days": np.nan})
    data = Interactions(matrix=m, counts=counts, last_days=last, customer_ids=np.array(
        [f"C{i:06d}" for i in range(customers)], dtype=object), product_ids=pids, products=table,
        cutoff=pd.Timestamp("2026-01-01"))
    try:
        with Clock() as c:
            get_model(name).fit(data)
    except RepeatError as exc:
        return {"status": "refused", "message": str(exc)}
    return {"status": "ok", "seconds": c.wall, "cpu": c.cpu}


def wide_rows() -> list[dict]:
    """Every model on the synthetic wide catalogue, each with a time limit; then EASE at its own cap."""
    from recs.models import get_class, model_names

    cap = int(get_class("ease").params["max_items"].default)
    runs = [(name, WIDE_PRODUCTS) for name in model_names()] + [("ease", cap)]
    rows = []
    for name, products in runs:
        load = load_average()
        print(f"  wide catalogue ({products:,} products): {name} (load {load})...", flush=True)
        res = run_child("bench.bench_scale_models:wide_child", {"name": name, "products": products}, WIDE_TIMEOUT)
        rows.append(fit_row(res, f"{products / 1000:g}k products", name, load, WIDE_TIMEOUT))
    return rows


def implicit_child(lines: int) -> dict:
    """Child: the baseline, implicit's ALS called directly on the same binary matrix."""
    from implicit.cpu.als import AlternatingLeastSquares
    from scipy import sparse
    from threadpoolctl import threadpool_limits

    x = sparse.load_npz(f"{_paths(lines)['npz'][:-4]}-matrix.npz").tocsr().astype(np.float32)
    with threadpool_limits(1, "blas"):
        als = AlternatingLeastSquares(factors=64, regularization=0.05, alpha=10.0, iterations=15, random_state=42,
                                      num_threads=2)
        with Clock() as c:
            als.fit(x, show_progress=False)
    return {"status": "ok", "seconds": c.wall, "cpu": c.cpu}


def measure(lines: int) -> list[dict]:
    from recs.models import model_names

    db, _ = demo_db(lines)
    lab = label(lines)
    load = load_average()
    print(f"interactions at {lab} lines (load {load})...", flush=True)
    built = run_child("bench.bench_scale_models:build_child", {"db": str(db), "lines": lines}, BUILD_TIMEOUT)
    if not built.ok:
        return [{"lines": lab, "item": "build interactions", "status": f"FAILED: {built.error}"}]
    b = built.value
    rows = [{"lines": lab, "item": "build interactions", "seconds": b["seconds"], "cpu": b["cpu"],
             "peak_mem": gb(built.peak_rss), "load": load,
             "status": f"ok: {b['customers']:,} customers x {b['products']:,} products, {b['nnz']:,} cells"}]
    base_load = load_average()
    base = run_child("bench.bench_scale_models:implicit_child", {"lines": lines}, PER_MODEL_TIMEOUT)
    floor = run_child("bench.bench_scale_models:load_only_child", {"lines": lines}, PER_MODEL_TIMEOUT)
    base_s = base.value["seconds"] if base.ok else None
    base_cpu = base.value["cpu"] if base.ok else None
    rows.append({"lines": lab, "item": "baseline: implicit ALS direct", "seconds": base_s,
                 "cpu": base_cpu, "ratio": 1.0 if base.ok else None, "cpu_ratio": 1.0 if base.ok else None,
                 "peak_mem": gb(base.peak_rss), "load": base_load,
                 "status": base.status if base.ok else f"{base.status}: {base.error}"})
    rows.append({"lines": lab, "item": "(load saved matrix only)", "peak_mem": gb(floor.peak_rss), "status": ""})
    for name in model_names():
        load = load_average()
        print(f"  fitting {name} (load {load})...", flush=True)
        res = run_child("bench.bench_scale_models:fit_child", {"lines": lines, "name": name}, PER_MODEL_TIMEOUT)
        row = fit_row(res, lab, name, load, PER_MODEL_TIMEOUT)
        if row["status"] == "ok":
            row.update(ratio=row["seconds"] / base_s if base_s else None,
                       cpu_ratio=row["cpu"] / base_cpu if base_cpu else None)
        rows.append(row)
    return rows


def fit_row(res, lines: str, name: str, load: str, timeout: float) -> dict:
    """One table row for a model fitted in a child: ok (seconds, cpu), refused, killed at the limit, or an error."""
    row = {"lines": lines, "item": f"fit {name}", "peak_mem": gb(res.peak_rss), "load": load}
    if res.ok and res.value["status"] == "ok":
        row.update(seconds=res.value["seconds"], cpu=res.value["cpu"], status="ok")
    elif res.ok:
        row["status"] = f"refused: {res.value['message'][:110]}"
    elif res.status == "timeout":
        row["status"] = f"TIMEOUT (killed after {timeout:.0f} s)"
    else:
        row["status"] = f"ERROR: {res.error[:110]}"
    return row


def main() -> None:
    started = time.perf_counter()
    rows: list[dict] = []
    for lines in sizes():
        rows += measure(lines)
    if os.environ.get("BENCH_WIDE", "1") != "0":
        rows += wide_rows()
    print(table(rows, ["lines", "item", "seconds", "cpu", "ratio", "cpu_ratio", "peak_mem", "load", "status"]))
    print(f"ratio = fit seconds / implicit ALS fitted directly on the same matrix (cpu_ratio: on CPU seconds); peak_mem = peak RSS of the "
          f"process (includes loading the saved matrix); each model limited to {PER_MODEL_TIMEOUT:.0f} s "
          f"({time.perf_counter() - started:.0f} s in all).")


if __name__ == "__main__":
    main()
