"""Shared fixtures: real DuckDB files (empty, demo shop, Online Retail), built once per test worker."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "datasets"
RETAIL_PARQUET = SHARED / "online-retail" / "online_retail.parquet"

if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


@pytest.fixture
def empty_db(tmp_path: Path) -> Path:
    """A warehouse file with the schema and no rows."""
    from recs.db import connect

    path = tmp_path / "empty.duckdb"
    connect(path).close()
    return path


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default demo shop (5,000 customers, seed 42), generated once per worker. Treat as read-only."""
    from recs.db import connect
    from recs.demo import generate_demo

    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    con = connect(path)
    generate_demo(con)
    con.close()
    return path


@pytest.fixture(scope="session")
def retail_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Online Retail imported with the online-retail format, once per worker. Treat as read-only."""
    from recs.db import connect
    from recs.importer import import_files

    if not RETAIL_PARQUET.exists():
        pytest.fail(f"shared dataset missing: {RETAIL_PARQUET}")
    path = tmp_path_factory.mktemp("retail") / "retail.duckdb"
    con = connect(path)
    import_files(con, orders=RETAIL_PARQUET, fmt="online-retail")
    con.close()
    return path


@pytest.fixture
def use_db(monkeypatch: pytest.MonkeyPatch):
    """Point the app (REPEAT_DB) at a given database file for AppTest runs."""

    def _use(path: Path) -> Path:
        monkeypatch.setenv("REPEAT_DB", str(path))
        return path

    return _use


os.environ.setdefault("STREAMLIT_BROWSER_GATHER_USAGE_STATS", "false")


# ---------------------------------------------------------------- browser tests (real streamlit + Chromium)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def streamlit_server(tmp_path: Path):
    """Start `streamlit run app.py` on a free loopback port; returns a function (db, env=..., host=...) -> URL."""
    import subprocess
    import time
    import urllib.request

    started: list[subprocess.Popen] = []

    def _start(db: Path, extra_env: dict[str, str] | None = None, host: str = "127.0.0.1",
               wait_healthy: bool = True) -> str:
        port = _free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("STREAMLIT_")}
        env.update({"REPEAT_DB": str(db), "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"})
        env.pop("REPEAT_PASSWORD", None)
        env.update(extra_env or {})
        log = open(tmp_path / f"streamlit-{port}.log", "w")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(REPO / "app.py"), "--server.headless", "true",
             "--server.port", str(port), "--server.address", host, "--server.fileWatcherType", "none"],
            cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
        started.append(proc)
        url = f"http://127.0.0.1:{port}"
        if wait_healthy:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                if proc.poll() is not None:
                    raise RuntimeError(f"streamlit exited: {(tmp_path / f'streamlit-{port}.log').read_text()}")
                try:
                    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                        if response.status == 200:
                            return url
                except OSError:
                    time.sleep(0.3)
            raise RuntimeError("streamlit did not become healthy within 60 s")
        return url

    yield _start
    for proc in started:  # all at once: a test may start several servers
        proc.terminate()
    for proc in started:
        try:
            proc.wait(timeout=10)
        except Exception:
            proc.kill()


@pytest.fixture(scope="session")
def chromium():
    """A headless Debian Chromium driven by Playwright (no downloaded browser)."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def wait_for_app(page, timeout_ms: int = 60_000) -> None:
    """Wait until Streamlit has finished the script and every lazily loaded element (charts, metrics) has drawn.

    A page can report 'notRunning' for a moment before a run starts or between a run and a rerun, so the
    condition must hold on three polls in a row.
    """
    import time

    done = """() => {
        const app = document.querySelector('[data-testid="stApp"]');
        const running = document.querySelector('[data-testid="stStatusWidget"]');
        const loading = document.querySelector('[data-testid="stSkeleton"]');
        const main = document.querySelector('[data-testid="stMain"]');
        return Boolean(app && app.getAttribute('data-test-script-state') === 'notRunning' && !running && !loading
                       && main && main.innerText.trim().length > 0);
    }"""
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout_ms)
    deadline = time.monotonic() + timeout_ms / 1000
    streak = 0
    while streak < 3:
        if time.monotonic() > deadline:
            raise TimeoutError("the Streamlit page did not settle")
        streak = streak + 1 if page.evaluate(done) else 0
        page.wait_for_timeout(250)


def open_page(page: str):
    """AppTest of `page`, entered through app.py's frame as every visit is (pages/parts/frame.py); no exception."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
    at.run()
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.fixture(autouse=True)
def no_prediction_work_leaks_into_the_next_test():
    """A page visit (Customer, Product, Predict) starts the background worker that computes the shop's stored
    predictions (recs/predict/shelf.py); after each test it is stopped, so its fits do not eat the CPU of the tests
    that follow. A test that needs the figures waits for them itself."""
    yield
    shelf = sys.modules.get("recs.predict.shelf")  # never imported here: a test that did not use it pays nothing
    if shelf is not None:
        shelf.stop_worker(timeout=60.0)
