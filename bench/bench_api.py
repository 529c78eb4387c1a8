"""The API service under load: a bounded, open-loop load generator on 127.0.0.1 against `python -m recs api`.

On the demo shop with the hybrid model (BENCH_API_MODEL), requests are sent at a fixed rate (BENCH_API_RPS,
default 200 per second) for BENCH_API_SECONDS (default 60): 75 % `GET /v1/recommendations` (k=10, 90 % known
customers), 25 % `POST /v1/orders` (each fsync'd before its answer). Halfway through, a newer run of the served
model is stored: the service must switch to it without a failed request (hot swap). Then the same rate is sent for
the same time to a FastAPI endpoint returning a constant (the framework's floor) in its own uvicorn process, and
the ratios service / floor are printed. Last, 200 requests one at a time with k=50 (longer than the prepared top 20: the list is
computed live) show the cost of a list the service has not prepared.

Targets (issue #16): recommendations p50 < 5 ms and p99 < 25 ms, orders p99 < 25 ms, zero errors, zero failed
requests during the hot swap. The load generator runs on the same 2 cores as the service.
"""

from __future__ import annotations

import gc
import http.client
import json
import os
import queue
import random
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench._util import CACHE, REPO, load_average, table

RATE = float(os.environ.get("BENCH_API_RPS", "200"))
SECONDS = float(os.environ.get("BENCH_API_SECONDS", "60"))
MODEL = os.environ.get("BENCH_API_MODEL", "hybrid")
KEY = "bench-key"
WORKERS = 32
SWAP = """import sys
from dataclasses import replace
from recs.models.store import load_model, save_model
db, name, run_id = sys.argv[1:]
save_model(db, replace(load_model(db, name), run_id=run_id))
"""  # stores a newer run of the served model (the hot swap), outside the load generator's process


def shop() -> Path:
    """The demo shop with a stored run of MODEL, built once and cached in bench/.cache/api/."""
    from recs.db import connect
    from recs.demo import generate_demo
    from recs.models.store import stored_metas
    from recs.training import train_model

    db = CACHE / "api" / "demo.duckdb"
    if not db.exists():
        db.parent.mkdir(parents=True, exist_ok=True)
        con = connect(db)
        generate_demo(con)
        con.close()
    if MODEL not in {str(m.get("name") or n) for n, m in stored_metas(db)}:
        print(f"training {MODEL} once (cached for later runs)", file=sys.stderr, flush=True)
        con = connect(db)
        train_model(con, db, MODEL)
        con.close()
    return db


def start(command: list[str], port: int, env: dict[str, str]) -> subprocess.Popen:
    proc = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/v1/health")
            if conn.getresponse().status == 200:
                return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"server on port {port} did not start")


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def constant_app() -> Any:
    """A FastAPI app whose recommendations endpoint returns a constant: the floor of the framework."""
    from fastapi import FastAPI

    app = FastAPI()
    body = {"model": "constant", "version": "1", "items": []}

    @app.get("/v1/health")
    async def health() -> dict:
        return {"status": "ok"}

    @app.get("/v1/recommendations")  # async, as the service's lookups are: no hand-over to a worker thread
    async def recommendations(customer_id: str, k: int = 10) -> dict:
        return body

    @app.post("/v1/orders", status_code=201)
    async def orders(order: dict) -> dict:
        return {"order_id": order.get("order_id"), "status": "accepted"}

    return app


def run_load(port: int, make: Any, rate: float, seconds: float, during: Any = None) -> list[tuple]:
    """Open loop: request i is due at start + i / rate, whatever the answers' speed; WORKERS threads with
    keep-alive connections send them. Returns (kind, due, sent, done, status) per request."""
    jobs: queue.Queue = queue.Queue()
    results: list[tuple] = []
    lock = threading.Lock()

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while True:
            job = jobs.get()
            if job is None:
                return
            due, (kind, method, path, body) = job
            sent = time.perf_counter()
            try:
                headers = {"X-API-Key": KEY, "Content-Type": "application/json"}
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                status = response.status
            except OSError:
                status = 0
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            done = time.perf_counter()
            with lock:
                results.append((kind, due, sent, done, status))

    # the generator's own cycle collector paused it for ~100 ms at a time (it holds everything recs imports): no
    # collection while it sends, so its pauses do not count as the server's
    gc.collect()
    gc.freeze()
    gc.disable()
    threads = [threading.Thread(target=worker, daemon=True) for _ in range(WORKERS)]
    for t in threads:
        t.start()
    n = int(rate * seconds)
    begin = time.perf_counter()
    fired = False
    for i in range(n):
        due = begin + i / rate
        pause = due - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
        if during is not None and not fired and i >= n // 2:
            fired = True
            threading.Thread(target=during, daemon=True).start()
        jobs.put((due, make(i)))
    for _ in threads:
        jobs.put(None)
    for t in threads:
        t.join()
    gc.enable()
    return results


def summarise(results: list[tuple], kind: str) -> dict[str, Any]:
    rows = [r for r in results if r[0] == kind]
    lat = np.array([(done - sent) * 1000 for _, _, sent, done, _ in rows]) if rows else np.zeros(1)
    late = np.array([(sent - due) * 1000 for _, due, sent, _, _ in rows]) if rows else np.zeros(1)
    ok = sum(200 <= r[4] < 300 for r in rows)
    return {"requests": len(rows), "errors": len(rows) - ok, "p50_ms": float(np.percentile(lat, 50)),
            "p90_ms": float(np.percentile(lat, 90)), "p99_ms": float(np.percentile(lat, 99)),
            "max_ms": float(lat.max()), "sent_late_p99_ms": float(np.percentile(late, 99))}


def main() -> None:
    from recs.models.store import load_model

    db = shop()
    run = load_model(db, MODEL)
    customers = [str(c) for c in run.model.data_.customer_ids]
    products = [str(p) for p in run.model.data_.product_ids]
    rng = random.Random(7)
    stamp = int(time.time())

    def make(i: int) -> tuple:
        if i % 4 == 3:
            body = {"order_id": f"bench-{stamp}-{i}", "customer_id": rng.choice(customers),
                    "ordered_at": "2026-01-02 10:00:00",
                    "lines": [{"product_id": p, "quantity": 1, "unit_price": 3.5}
                              for p in rng.sample(products, rng.randint(1, 3))]}
            return "orders", "POST", "/v1/orders", json.dumps(body)
        who = rng.choice(customers) if rng.random() < 0.9 else f"new-{i}"
        return "recommendations", "GET", f"/v1/recommendations?customer_id={who}&k=10", None

    swap: dict[str, Any] = {}

    def hot_swap() -> None:  # in its own process, as a training on the page or the CLI would store it
        swap["at"] = time.perf_counter()
        subprocess.run([sys.executable, "-c", SWAP, str(db), MODEL, f"{MODEL}-bench-{stamp}"], cwd=REPO, check=True)

    env = dict(os.environ, REPEAT_API_KEY=KEY)
    port = free_port()
    service = start([sys.executable, "-m", "recs", "api", "--db", str(db), "--port", str(port), "--model", MODEL],
                    port, env)
    try:
        while True:  # wait for the precomputed lists (the watcher fills them right after start)
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            t0 = time.perf_counter()
            conn.request("GET", f"/v1/recommendations?customer_id={customers[-1]}&k=10", headers={"X-API-Key": KEY})
            conn.getresponse().read()
            if time.perf_counter() - t0 < 0.005:
                break
            time.sleep(1)
        version_before = json.loads(_get(port, "/v1/health"))["version"]
        results = run_load(port, make, RATE, SECONDS, hot_swap)
        version_after = json.loads(_get(port, "/v1/health"))["version"]
        during_swap = [r for r in results if swap and r[2] >= swap["at"]]
        live = []
        for _ in range(200):
            who = rng.choice(customers)
            t0 = time.perf_counter()
            _get(port, f"/v1/recommendations?customer_id={who}&k=50")
            live.append((time.perf_counter() - t0) * 1000)
    finally:
        service.terminate()
        service.wait(timeout=30)
    port = free_port()
    floor = start([sys.executable, "-m", "uvicorn", "bench.bench_api:constant_app", "--factory", "--port", str(port),
                   "--log-level", "warning", "--no-access-log"], port, env)
    try:
        base = run_load(port, make, RATE, SECONDS)
    finally:
        floor.terminate()
        floor.wait(timeout=30)
    if os.environ.get("BENCH_API_RAW"):  # every request (kind, due, sent, done, status) for a closer look
        with open(os.environ["BENCH_API_RAW"], "w") as raw:
            raw.write(json.dumps({"swap_at": swap.get("at"), "service": results, "floor": base}))
    rows = []
    swap_at = swap.get("at", float("inf"))
    halves = {"all": results, "before swap": [r for r in results if r[2] < swap_at],
              "after swap began": [r for r in results if r[2] >= swap_at]}
    for kind in ("recommendations", "orders"):
        const = summarise(base, kind)
        for phase, part in halves.items():
            ours = summarise(part, kind)
            rows.append({"endpoint": kind, "phase": phase,
                         **{k: round(v, 2) if isinstance(v, float) else v for k, v in ours.items()},
                         "floor_p50_ms": round(const["p50_ms"], 2), "floor_p99_ms": round(const["p99_ms"], 2),
                         "ratio_p50": round(ours["p50_ms"] / const["p50_ms"], 2),
                         "ratio_p99": round(ours["p99_ms"] / const["p99_ms"], 2)})
    live_arr = np.array(live)
    disk = fsync_probe(db.parent)
    print(f"model {MODEL}, {RATE:.0f} requests/s for {SECONDS:.0f} s; load average {load_average()}")
    print(table(rows))
    if version_after == version_before:
        print("hot swap: FAILED, the service still serves the version it started with")
    print(f"hot swap: version {version_before} -> {version_after}; {len(during_swap)} requests after the swap "
          f"began, {sum(not 200 <= r[4] < 300 for r in during_swap)} failed")
    print(f"this disk's fsync (an order's floor; one at a time, after the load): p50 {np.percentile(disk, 50):.2f} ms, "
          f"p99 {np.percentile(disk, 99):.2f} ms")
    print(f"live list (k=50, longer than prepared, one at a time): p50 {np.percentile(live_arr, 50):.1f} ms, "
          f"p99 {np.percentile(live_arr, 99):.1f} ms")


def fsync_probe(folder: Path, n: int = 200) -> np.ndarray:
    """Milliseconds of n appends of an order-sized line + fsync on the spool's file system, 5 ms apart: an
    order's floor on this disk (an order is acknowledged only after its fsync)."""
    path = folder / ".fsync-probe"
    times = []
    with open(path, "ab") as handle:
        for _ in range(n):
            start = time.perf_counter()
            handle.write(b"x" * 300 + b"\n")
            handle.flush()
            os.fsync(handle.fileno())
            times.append((time.perf_counter() - start) * 1000)
            time.sleep(0.005)
    path.unlink()
    return np.array(times)


def _get(port: int, path: str) -> bytes:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path, headers={"X-API-Key": KEY})
    return conn.getresponse().read()


if __name__ == "__main__":
    main()
