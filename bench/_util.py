"""Shared helpers for the scale benchmarks: sizes, the cached demo databases, timing, peak memory, tables.

- `sizes()`: the line counts to measure ($BENCH_LINES, default "1000000,10000000").
- `demo_db(lines)`: a demo shop of about `lines` order lines, generated once (by the CLI, timed) and cached in
  `bench/.cache/` (git-ignored) so every bench module of a run, and later runs, reuse it.
- `run_child(target, kwargs, timeout)`: call `module:function(**kwargs)` in a fresh Python process and return its
  JSON result, wall time and peak resident memory (ru_maxrss of that very child, via os.wait4), or a timeout.
- `best_of(fn, n)`, `table(rows, columns)`, `versions()`.
"""

from __future__ import annotations

import importlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
CACHE = REPO / "bench" / ".cache"
DEFAULT_SIZES = (1_000_000, 10_000_000)
_MARK = "@@bench-result@@"


def sizes() -> list[int]:
    """Line counts to benchmark: $BENCH_LINES (comma separated, e.g. "1000000") or 1M and 10M."""
    text = os.environ.get("BENCH_LINES", "")
    if not text.strip():
        return list(DEFAULT_SIZES)
    return [int(float(x)) for x in text.split(",") if x.strip()]


def label(lines: int) -> str:
    """1000000 -> '1M', 10000000 -> '10M', 250000 -> '250k'."""
    if lines >= 1_000_000 and lines % 1_000_000 == 0:
        return f"{lines // 1_000_000}M"
    if lines >= 1000 and lines % 1000 == 0:
        return f"{lines // 1000}k"
    return str(lines)


@dataclass
class ChildResult:
    """What a child process gave back: its result (None on failure), wall and CPU seconds (user + system, all
    threads), peak RSS in bytes, status."""

    value: Any
    seconds: float
    cpu_seconds: float
    peak_rss: int
    status: str  # ok | timeout | error
    error: str = ""
    stdout: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def _python() -> str:
    venv = REPO / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


def run_child(target: str, kwargs: dict[str, Any] | None = None, timeout: float = 600.0,
              env: dict[str, str] | None = None) -> ChildResult:
    """Run `module:function(**kwargs)` in a new interpreter; JSON in, JSON out.

    Peak memory is the child's own ru_maxrss (os.wait4 reports it for that pid only), so it measures
    exactly the work of that call plus the interpreter and imports. A child running past `timeout`
    seconds is killed (its whole process group) and reported as a timeout, never waited on forever.
    """
    out = tempfile.NamedTemporaryFile("w+", suffix=".log", delete=False)
    cmd = [_python(), "-m", "bench._util", target, json.dumps(kwargs or {})]
    full_env = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=out, stderr=subprocess.STDOUT, env=full_env,
                            start_new_session=True)
    status, rusage, code = "ok", None, 0
    while True:
        pid, wstatus, rusage = os.wait4(proc.pid, os.WNOHANG)
        if pid == proc.pid:
            code = os.waitstatus_to_exitcode(wstatus)
            break
        if time.perf_counter() - started > timeout:
            os.killpg(proc.pid, signal.SIGKILL)
            _, wstatus, rusage = os.wait4(proc.pid, 0)
            status, code = "timeout", -9
            break
        time.sleep(0.05)
    proc.returncode = code
    seconds = time.perf_counter() - started
    out.seek(0)
    lines = out.read().splitlines()
    out.close()
    os.unlink(out.name)
    peak = int(rusage.ru_maxrss) * 1024 if rusage is not None else 0
    cpu = float(rusage.ru_utime + rusage.ru_stime) if rusage is not None else 0.0
    value = None
    for line in reversed(lines):
        if line.startswith(_MARK):
            value = json.loads(line[len(_MARK):])
            break
    error = ""
    if status == "ok" and (code != 0 or value is None):
        status = "error"
        error = next((x for x in reversed(lines) if x.strip()), f"exit code {code}")
    elif status == "timeout":
        error = f"killed after {timeout:.0f} s"
    return ChildResult(value, seconds, cpu, peak, status, error, [x for x in lines if not x.startswith(_MARK)])


def best_of(fn: Callable[[], object], n: int = 2) -> float:
    """Fastest wall time of `n` calls (the first call also warms DuckDB's and the OS's caches)."""
    times = []
    for _ in range(n):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


class Clock:
    """Wall and CPU time (all threads of this process) of a block: `with Clock() as c: ...; c.wall, c.cpu`.

    The CPU figure matters on a shared machine: other processes stretch wall time, not CPU time.
    """

    def __enter__(self) -> Clock:
        self._wall, self._cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self._wall
        self.cpu = time.process_time() - self._cpu


def best_clock(fn: Callable[[], object], n: int = 2) -> Clock:
    """The Clock of the fastest of `n` calls (by wall time)."""
    best = None
    for _ in range(n):
        with Clock() as c:
            fn()
        if best is None or c.wall < best.wall:
            best = c
    return best


def load_average() -> str:
    """The 1-minute load average (how busy the machine was: 2 cores, so above 2 means waiting)."""
    return f"{os.getloadavg()[0]:.1f}"


def demo_db(lines: int, seed: int = 42) -> tuple[Path, float | None]:
    """The cached demo shop of about `lines` lines and how long generating it took (None when the cache
    predates this run and its timing file is missing). Generated through the CLI, as a user would."""
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"demo-{lines}-s{seed}.duckdb"
    meta = path.with_suffix(".json")
    if path.exists() and meta.exists():
        return path, json.loads(meta.read_text())["seconds"]
    tmp = path.with_suffix(".tmp.duckdb")
    for stale in (tmp, Path(str(tmp) + ".wal")):
        stale.unlink(missing_ok=True)
    print(f"  generating the {label(lines)}-line demo shop (cached in {CACHE.relative_to(REPO)})...", flush=True)
    started = time.perf_counter()
    subprocess.run([_python(), "-m", "recs", "demo", "--db", str(tmp), "--lines", str(lines), "--seed", str(seed),
                    "--quiet"], cwd=REPO, check=True, stdout=subprocess.DEVNULL,
                   env={**os.environ, "PYTHONPATH": str(REPO)})
    seconds = time.perf_counter() - started
    tmp.rename(path)
    meta.write_text(json.dumps({"lines": lines, "seed": seed, "seconds": round(seconds, 2)}))
    return path, seconds


def gb(nbytes: float) -> str:
    return f"{nbytes / 1e9:.2f} GB"


def table(rows: list[dict], columns: list[str] | None = None) -> str:
    """Rows as a fixed-width text table (floats with 3 significant decimals)."""
    if not rows:
        return "(no rows)"
    columns = columns or list(rows[0])

    def cell(v: Any) -> str:
        if isinstance(v, float):
            return f"{v:.3f}" if abs(v) < 100 else f"{v:,.1f}"
        return "" if v is None else str(v)

    cells = [[cell(r.get(c)) for c in columns] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]
    head = "  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))
    body = ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) for row in cells]
    return "\n".join([head, "  ".join("-" * w for w in widths), *body])


def versions() -> dict[str, str]:
    """Python and the libraries the figures depend on."""
    out = {"python": sys.version.split()[0]}
    for name in ("duckdb", "pandas", "numpy", "scipy", "implicit", "streamlit"):
        try:
            out[name] = importlib.import_module(name).__version__
        except Exception:  # a missing optional library is reported, not fatal
            out[name] = "missing"
    return out


def _child_main(argv: list[str]) -> int:
    module_name, _, func_name = argv[0].partition(":")
    kwargs = json.loads(argv[1]) if len(argv) > 1 else {}
    result = getattr(importlib.import_module(module_name), func_name)(**kwargs)
    print(_MARK + json.dumps(result, default=str), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(_child_main(sys.argv[1:]))
