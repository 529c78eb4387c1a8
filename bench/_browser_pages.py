"""Page times in headless Chromium: what a visitor waits for, charts drawn, not only the script run AppTest times.

`browser_child(db)` (run through `bench._util.run_child`) starts the app as a user does (`python -m recs serve`)
and, for every page of app.py's navigation:
- first visit: a fresh server per page (cold Streamlit caches, nothing imported yet) and a fresh browser profile
  (empty HTTP cache), a tab opened on the page's URL, timed until the page has settled;
- warm: a second tab of the same browser profile (a new Streamlit session, the app's scripts in the HTTP cache)
  on the same server and URL, timed the same way: a visitor coming back to the page;
- move: in a third tab, another page first, then this page's link in the sidebar clicked (the app and Plotly.js
  already loaded in the tab: what moving between pages costs), timed from the click;
- move cold: the same on a fresh server, from the Data page (no query, no chart): the page's first visit inside an
  app already open in the browser, with cold Streamlit caches.

"Settled" is a state, never a sleep: Streamlit's script has finished (`data-test-script-state` = notRunning, no
running indicator, no skeleton), the main area has content, and every Plotly chart on the page has drawn its
SVG. The state must hold for a full second (ten polls in a row: a deep link's first run reports notRunning for a
moment before the app's frame reruns it); the time recorded is when that streak began, so the wait adds nothing. Where the time went: the server's CPU seconds (every process of its group,
from /proc) and the browser page's main-thread CPU seconds (Chromium's Performance metrics in thread time), both
robust to a busy machine, and the bytes the server sent over the websocket.

`browser_rows` turns them into bench_scale's second table, beside the AppTest figures of the same pages: the
ratio browser / AppTest is the honest comparison on a noisy machine. Targets at 10 M lines: first visit < 3 s,
warm < 1.5 s. `python -m bench._browser_pages DB [PAGE ...]` prints the figures for one shop.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
FIRST_VISIT_S = 3.0
WARM_VISIT_S = 1.5
TIMEOUT_S = 1800.0
SETTLE_TIMEOUT_S = 180.0
POLL_S = 0.1
STREAK = 10

SETTLED = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    const main = document.querySelector('[data-testid="stMain"]');
    if (!app || !main || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
    if (document.querySelector('[data-testid="stStatusWidget"]')) return false;
    if (document.querySelector('[data-testid="stSkeleton"]')) return false;
    if (main.innerText.trim().length === 0) return false;
    const charts = main.querySelectorAll('[data-testid="stPlotlyChart"]');
    for (const chart of charts) {
        const plot = chart.querySelector('.js-plotly-plot');
        if (!plot || !plot._fullLayout || !plot.querySelector('.main-svg')) return false;
    }
    const vega = main.querySelectorAll('[data-testid="stVegaLiteChart"]');
    for (const chart of vega) {
        if (!chart.querySelector('canvas.marks, svg.marks')) return false;
    }
    return charts.length + vega.length;
}"""


def page_urls() -> list[tuple[str, str]]:
    """(page file, URL path) for every page app.py navigates to; the default page is served at '/'."""
    from bench.bench_scale import page_files

    files = page_files()
    return [(f, "" if i == 0 else Path(f).stem) for i, f in enumerate(files)]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """`python -m recs serve --db DB` on a free loopback port, in its own process group (stopped as a group)."""

    def __init__(self, db: str, app: Path | None = None) -> None:
        """The app on `db`; with `app`, that one Streamlit script instead (a framework-floor app, see FLOOR_APPS)."""
        import tempfile

        self.port = _free_port()
        self.log = tempfile.NamedTemporaryFile("w+", prefix="repeat-serve-", suffix=".log")  # noqa: SIM115
        env = {k: v for k, v in os.environ.items() if not k.startswith("STREAMLIT_") and k != "REPEAT_PASSWORD"}
        env.update({"STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false", "STREAMLIT_SERVER_FILE_WATCHER_TYPE": "none",
                    "PYTHONPATH": str(REPO)})
        command = [sys.executable, "-m", "recs", "serve", "--db", db, "--host", "127.0.0.1", "--port", str(self.port)]
        if app is not None:
            command = [sys.executable, "-m", "streamlit", "run", str(app), "--server.address", "127.0.0.1",
                       "--server.port", str(self.port), "--server.headless", "true"]
        self.proc = subprocess.Popen(command, cwd=app.parent if app is not None else REPO, env=env, stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.log.seek(0)
                raise RuntimeError(f"the app server exited ({self.proc.returncode}): {self.log.read()[-300:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("the app server did not become healthy within 120 s")

    def cpu_seconds(self) -> float:
        """User + system CPU seconds of every process of the server's group so far (from /proc; Linux)."""
        tick = os.sysconf("SC_CLK_TCK")
        total = 0.0
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == self.proc.pid:  # field 5 of stat: the process group id
                total += (int(fields[11]) + int(fields[12])) / tick
        return total

    def stop(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=15)
        except ProcessLookupError:
            return
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


def _metrics(cdp) -> dict[str, float]:
    """Chromium's Performance metrics of the tab (TaskDuration, ScriptDuration: seconds since enabled)."""
    return {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}


def _settle(page, started: float, what: str) -> tuple[float, int]:
    """Poll until the page has settled (SETTLED held STREAK polls in a row); when that began and how many charts."""
    streak, streak_began, charts = 0, started, 0
    while streak < STREAK:
        if time.perf_counter() - started > SETTLE_TIMEOUT_S:
            raise TimeoutError(f"{what} did not settle within {SETTLE_TIMEOUT_S:.0f} s")
        now = time.perf_counter()
        state = page.evaluate(SETTLED)
        if state is not False:
            streak, charts = streak + 1, int(state)
            streak_began = now if streak == 1 else streak_began
        else:
            streak = 0
        time.sleep(POLL_S)
    return streak_began, charts


def visit(context, server: Server, path: str, via: str | None = None) -> dict:
    """Open the page in a new tab of `context` (a new Streamlit session) or, with `via`, open that page first and
    then click this one in the sidebar (the app already loaded: what moving between pages costs). Seconds until it
    settled, the server's and the browser's CPU seconds meanwhile, websocket bytes received, charts drawn."""
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Performance.enable", {"timeDomain": "threadTicks"})
    received = {"bytes": 0, "frames": 0}

    def on_socket(ws) -> None:
        def on_frame(payload) -> None:
            received["bytes"] += len(payload)
            received["frames"] += 1

        ws.on("framereceived", on_frame)

    page.on("websocket", on_socket)
    try:
        url = f"{server.url}/{path}"
        server_cpu = server.cpu_seconds()
        before: dict[str, float] = {}
        if via is None:
            started = time.perf_counter()
            page.goto(url, wait_until="commit")
        else:  # already in the app on another page: click this page's link in the sidebar
            page.goto(f"{server.url}/{via}", wait_until="commit")
            _settle(page, time.perf_counter(), via)
            server_cpu = server.cpu_seconds()
            before = _metrics(cdp)
            received.update(bytes=0, frames=0)
            title = page.locator('[data-testid="stMain"] h1').first.inner_text()
            started = time.perf_counter()
            page.locator(f'[data-testid="stSidebarNav"] a[href="{url}"]').click()
            page.wait_for_function("(old) => { const h = document.querySelector('[data-testid=\"stMain\"] h1');"
                                   " return h && h.innerText !== old; }", arg=title,
                                   timeout=SETTLE_TIMEOUT_S * 1000)  # the other page's content is gone
        settled, charts = _settle(page, started, url)
        server_cpu = server.cpu_seconds() - server_cpu
        after = _metrics(cdp)
        metrics = {k: v - before.get(k, 0.0) for k, v in after.items()}
        errors = page.locator('[data-testid="stException"], [data-testid="stAlertContentError"]').count()
        return {"seconds": settled - started, "ws_bytes": received["bytes"], "frames": received["frames"],
                "charts": charts, "errors": errors, "server_cpu": server_cpu,
                "browser_cpu": metrics.get("TaskDuration", 0.0), "browser_script": metrics.get("ScriptDuration", 0.0)}
    finally:
        page.close()


def browser_child(db: str, pages: list[str] | None = None) -> list[dict]:
    """Child: for each page, a fresh server, a first visit and a warm (second) visit in headless Chromium."""
    from playwright.sync_api import sync_playwright

    out = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            for file, path in page_urls():
                if pages and Path(file).stem not in pages:
                    continue
                row: dict = {"page": file}
                server, context = None, None
                try:
                    server = Server(db)
                    context = browser.new_context(viewport={"width": 1400, "height": 1000})
                    first = visit(context, server, path)
                    warm = visit(context, server, path)
                    moved = visit(context, server, path, via=next(p for _, p in page_urls() if p != path))
                    server.stop()
                    server = Server(db)  # cold caches again, for the page's first visit inside an open app
                    light = "data" if path != "data" else next(p for _, p in page_urls() if p != path)
                    cold = visit(context, server, path, via=light)
                    row.update({"first_s": first["seconds"], "warm_s": warm["seconds"], "charts": warm["charts"],
                                "move_s": moved["seconds"], "move_browser_cpu": moved["browser_cpu"],
                                "move_cold_s": cold["seconds"], "move_cold_server_cpu": cold["server_cpu"],
                                "first_server_cpu": first["server_cpu"], "warm_server_cpu": warm["server_cpu"],
                                "first_browser_cpu": first["browser_cpu"], "warm_browser_cpu": warm["browser_cpu"],
                                "warm_browser_js": warm["browser_script"],
                                "first_kb": first["ws_bytes"] / 1e3, "warm_kb": warm["ws_bytes"] / 1e3,
                                "errors": first["errors"] + warm["errors"] + moved["errors"] + cold["errors"]})
                except Exception as exc:  # one page failing is a finding, not the end of the sweep
                    row["error"] = f"{type(exc).__name__}: {str(exc)[:160]}"
                finally:
                    if context is not None:
                        context.close()
                    if server is not None:
                        server.stop()
                out.append(row)
        finally:
            browser.close()
    return out


FLOOR_APPS = {  # the framework's floor, measured the same way in the same run: our page / bare app is the figure
    "floor: bare app": 'import streamlit as st\n\nst.title("Bare")\nst.write("One line of text.")\n',
    "floor: bare + 1 Plotly chart": (
        'import plotly.graph_objects as go\nimport streamlit as st\n\nst.title("Bare")\n'
        'st.plotly_chart(go.Figure(go.Scatter(x=list(range(24)), y=[i * i for i in range(24)])))\n'),
    "floor: bare + 1 Vega-Lite chart": (
        'import pandas as pd\nimport streamlit as st\n\nst.title("Bare")\n'
        'st.line_chart(pd.DataFrame({"y": [i * i for i in range(24)]}))\n'),
    "floor: bare + a sidebar like ours": (  # st.navigation of ten pages with icons, a select box and a path
        'import streamlit as st\n\n\ndef page():\n    st.title("Bare")\n    st.write("One line of text.")\n\n\n'
        'names = ["Overview", "Retention", "Customers", "Predict", "Recommendations", "Customer", "Product",\n'
        '         "Experiments", "Data", "Settings"]\n'
        'nav = st.navigation({"Shop": [st.Page(page, title=n, icon=":material/dashboard:", url_path=n.lower(),\n'
        '                                      default=i == 0) for i, n in enumerate(names)]})\n'
        'with st.sidebar:\n    st.selectbox("Shop", ["demo"], help="Each shop is its own database file.")\n'
        '    st.caption("Database file")\n    st.text("/data/demo.duckdb")\nnav.run()\n'),
    "floor: bare + 1 table": (
        'import pandas as pd\nimport streamlit as st\n\nst.title("Bare")\n'
        'st.dataframe(pd.DataFrame({"y": [i * i for i in range(24)]}))\n'),
}


def floor_child() -> list[dict]:
    """Child: each FLOOR_APPS script on a fresh server, a first visit (new browser profile) and a warm one (new tab),
    timed like the app's pages: what Streamlit (and a chart library) cost a tab before any page of ours."""
    import tempfile

    from playwright.sync_api import sync_playwright

    out = []
    with tempfile.TemporaryDirectory(prefix="repeat-floor-") as folder, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            for name, script in FLOOR_APPS.items():
                app = Path(folder) / f"floor_{len(out)}.py"
                app.write_text(script)
                row: dict = {"page": name}
                server, context = None, None
                try:
                    server = Server("", app=app)
                    context = browser.new_context(viewport={"width": 1400, "height": 1000})
                    first, warm = visit(context, server, ""), visit(context, server, "")
                    row.update({"first_s": first["seconds"], "warm_s": warm["seconds"], "charts": warm["charts"],
                                "first_server_cpu": first["server_cpu"], "warm_server_cpu": warm["server_cpu"],
                                "first_browser_cpu": first["browser_cpu"], "warm_browser_cpu": warm["browser_cpu"],
                                "warm_browser_js": warm["browser_script"], "first_kb": first["ws_bytes"] / 1e3,
                                "warm_kb": warm["ws_bytes"] / 1e3, "errors": first["errors"] + warm["errors"]})
                except Exception as exc:  # noqa: BLE001 - a finding, not the end of the sweep
                    row["error"] = f"{type(exc).__name__}: {str(exc)[:160]}"
                finally:
                    if context is not None:
                        context.close()
                    if server is not None:
                        server.stop()
                out.append(row)
        finally:
            browser.close()
    return out


COLUMNS = ["lines", "page", "first_s", "apptest_first_s", "first_ratio", "warm_s", "apptest_rerun_s", "warm_ratio",
           "move_cold_s", "move_s", "move_browser_cpu", "first_server_cpu", "first_browser_cpu", "warm_server_cpu", "warm_browser_cpu", "first_kb", "charts",
           "target", "met"]
NOTE = ("browser: first_s = first visit (fresh server and browser profile), warm_s = second visit (new session, "
        "warm caches), move_s = reaching it by its sidebar link from another page of the same tab (the app already "
        "loaded), until the script finished and every chart drew, in headless Chromium; *_server_cpu / "
        "*_browser_cpu = CPU seconds of the app server and of the browser page's main thread meanwhile; first_kb = "
        "websocket bytes received; ratios = browser / AppTest (first render, cached rerun).")


def browser_rows(lines: int, db: Path, page_table: list[dict]) -> list[dict]:
    """bench_scale's browser table for one shop size, beside the AppTest figures found in `page_table` (its rows
    'page STEM: first / rerun': repeat_s = first render, baseline_s = rerun)."""
    from bench._util import label, load_average, run_child

    apptest = {r["item"].split()[1].rstrip(":"): (r.get("repeat_s"), r.get("baseline_s"))
               for r in page_table if str(r.get("item", "")).startswith("page ") and "first / rerun" in r["item"]}
    before = load_average()
    res = run_child("bench._browser_pages:browser_child", {"db": str(db)}, TIMEOUT_S)
    load = f"load {before} -> {load_average()}"
    if not res.ok:
        return [{"lines": label(lines), "page": "(browser sweep)", "met": f"FAILED: {res.error}", "target": load}]
    big = lines >= 10_000_000
    rows = []
    for r in res.value:
        stem = Path(r["page"]).stem
        app_first, app_rerun = apptest.get(stem, (None, None))
        first, warm = r.get("first_s"), r.get("warm_s")
        error = r.get("error") or (f"{r['errors']} error box(es)" if r.get("errors") else "")
        ok = first is not None and warm is not None and first < FIRST_VISIT_S and warm < WARM_VISIT_S and not error
        rows.append({"lines": label(lines), "page": stem, **{k: v for k, v in r.items() if k in COLUMNS},
                     "apptest_first_s": app_first, "apptest_rerun_s": app_rerun,
                     "first_ratio": first / app_first if first and app_first else None,
                     "warm_ratio": warm / app_rerun if warm and app_rerun else None,
                     "target": f"< {FIRST_VISIT_S:g} s / < {WARM_VISIT_S:g} s" if big else "",
                     "met": (("yes" if ok else "NO") if big else "") + (f" ({error})" if error else "")})
    rows.append({"lines": label(lines), "page": "(machine load during the sweep)", "target": load})
    return rows


def main(argv: list[str]) -> int:
    from bench._util import load_average, table

    if not argv:
        print("usage: python -m bench._browser_pages DB [PAGE ...] (PAGE 'floor': the framework-floor apps; "
              "none: every page and the floor apps)", file=sys.stderr)
        return 2
    print(f"load before: {load_average()}", flush=True)
    wanted = [p for p in argv[1:] if p != "floor"]
    rows = floor_child() if "floor" in argv[1:] or not wanted else []
    rows += browser_child(argv[0], wanted) if wanted or len(argv) == 1 else []
    print(table(rows, ["page", "first_s", "warm_s", "move_cold_s", "move_cold_server_cpu", "move_s", "move_browser_cpu", "first_server_cpu", "warm_server_cpu", "first_browser_cpu",
                       "warm_browser_cpu", "warm_browser_js", "charts", "first_kb", "warm_kb", "errors", "error"]))
    print(f"load after: {load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
