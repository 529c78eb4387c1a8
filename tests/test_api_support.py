"""Helpers of the API tests (no tests here): a real `python -m recs api` on a free port, JSON over HTTP."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
KEY = "test-key-0123456789"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def copy_shop(source: Path, target_dir: Path) -> Path:
    """A private copy of a warehouse file (models are stored beside it)."""
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / "shop.duckdb"
    shutil.copy(source, target)
    return target


def train(db: Path, *names: str) -> None:
    """Store a run of each model (default parameters), as `python -m recs train` does."""
    from recs.db import connect
    from recs.training import train_model

    con = connect(db)
    try:
        for name in names:
            train_model(con, db, name)
    finally:
        con.close()


def call(url: str, method: str = "GET", body: Any = None, key: str | None = KEY, raw: bytes | None = None,
         timeout: float = 30) -> tuple[int, dict, dict[str, str]]:
    """(status, JSON body, headers) of one request."""
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    request = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if key is not None:
        request.add_header("X-API-Key", key)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"null"), dict(response.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null"), dict(exc.headers)


class ApiServer:
    """`python -m recs api` in a subprocess on a free loopback port; `start()` waits for /v1/health."""

    def __init__(self, db: Path, key: str | None = KEY, extra: list[str] | None = None) -> None:
        self.db, self.key, self.extra = db, key, extra or []
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self.log = db.parent / f"api-{self.port}.log"

    def start(self, timeout: float = 60) -> ApiServer:
        env = dict(os.environ)
        env.pop("REPEAT_API_KEY", None)
        if self.key is not None:
            env["REPEAT_API_KEY"] = self.key
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "recs", "api", "--db", str(self.db), "--port", str(self.port), *self.extra],
                cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"api exited: {self.log.read_text()}")
            try:
                if call(f"{self.url}/v1/health", key=None, timeout=2)[0] == 200:
                    return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"api not healthy within {timeout} s: {self.log.read_text()}")

    def get(self, path: str, **kwargs: Any) -> tuple[int, dict, dict[str, str]]:
        return call(f"{self.url}{path}", key=kwargs.pop("key", self.key), **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> tuple[int, dict, dict[str, str]]:
        return call(f"{self.url}{path}", "POST", body, key=kwargs.pop("key", self.key), **kwargs)

    def kill9(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill9()


def spool_text(db: Path) -> str:
    """Every spooled line of a shop (the service's default spool folder)."""
    folder = Path(str(db) + ".spool")
    return "".join(p.read_text() for p in sorted(folder.glob("spool-*.jsonl"))) if folder.exists() else ""


def order(order_id: str, customer_id: str, products: list[str], ordered_at: str = "2026-01-02 10:00:00") -> dict:
    return {"order_id": order_id, "customer_id": customer_id, "ordered_at": ordered_at,
            "lines": [{"product_id": p, "quantity": 1, "unit_price": 4.5} for p in products]}


def wait_for(check: Any, timeout: float = 30, what: str = "state") -> Any:
    """Call `check()` until it returns something truthy (returned), or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached within {timeout} s")
        time.sleep(0.05)
