"""The dashboard in a real browser: Playwright (sync API) drives Debian's Chromium against ``lieux-app``.

A module fixture starts the server on a free local port in a subprocess; Chromium starts headless with the
network features that would call out turned off. One page (one Solara session) goes through the views in
order: the Run view loads with every request answered by the local server (the assets are installed, not
fetched), a bad value shows the CLI's message beside its field, a small synthetic run goes to the end and its
KPIs are those of ``simulation.model.run`` on the same configuration, the Place view shows a place of that run,
and the Compare view opens the fixture experiment (tests/data/app_experiment).

Each view's screenshot is written to ``results/screenshots/app_<view>.png`` (git-ignored), or to the folder named
by ``LIEUX_SCREENSHOTS`` (``LIEUX_SCREENSHOTS=docs/img`` refreshes the README's screenshots), so that a test run
leaves the clone unchanged.

Skipped, with one line, when Playwright, Solara or Chromium is missing (``.ci/run`` installs Chromium when it
runs as root; ``LIEUX_CHROMIUM`` names another executable).
"""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("LIEUX_CHROMIUM", "/usr/bin/chromium")
# As the machine notes say: headless, and no background networking (the network is closed here).
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(os.environ.get("LIEUX_SCREENSHOTS") or ROOT / "results" / "screenshots").absolute()
EXPERIMENT = ROOT / "tests" / "data" / "app_experiment"
SERVER_START_S = 90  # the first start imports Solara, pandas, Hydra... (about 5 s here)
RUN_TIMEOUT_MS = 120_000  # the small run takes about 4 s (a second of it spawning the worker process)
SMALL = {"weeks": "2", "warmup_weeks": "1", "territory.synthetic.adults": "2000"}

if importlib.util.find_spec("playwright") is None:
    pytest.skip(
        "browser tests: playwright is not installed (pip install -e '.[test]')", allow_module_level=True
    )
if importlib.util.find_spec("solara") is None:
    pytest.skip("browser tests: solara is not installed (pip install -e '.[app]')", allow_module_level=True)
if not Path(CHROMIUM).is_file():
    pytest.skip(
        f"browser tests: no Chromium at {CHROMIUM} (apt-get install chromium)", allow_module_level=True
    )

from playwright.sync_api import Page, sync_playwright  # noqa: E402

import simulation.model  # noqa: E402
from simulation.app import tables  # noqa: E402
from simulation.config import to_config  # noqa: E402
from simulation.viz import report_md as reporting  # noqa: E402


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _field(key: str) -> str:
    return f".lieux-field-{key.replace('.', '-').replace('_', '-')}"


def _rows(page: Page, table_id: str) -> list[list[str]]:
    return page.eval_on_selector_all(
        f"#{table_id} tbody tr", "rows => rows.map(r => Array.from(r.cells).map(c => c.textContent))"
    )


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """``python -m simulation.app --port <free>`` from the repository root; its URL once it answers."""
    port = _free_port()
    log = tmp_path_factory.mktemp("app") / "server.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "simulation.app", "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + SERVER_START_S
    while True:
        try:
            with urllib.request.urlopen(url + "/", timeout=5) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"lieux-app did not answer on {url}: {log.read_text()[-2000:]}")
        time.sleep(0.2)
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def session(server, browser):
    """One page, kept across the tests of this module (one Solara session), with what it asked the network."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    log: dict[str, list] = {"requests": [], "failed": [], "errors": [], "http_errors": [], "pending": []}

    def started(request):
        log["requests"].append(request.url)
        log["pending"].append(request)

    def ended(request):
        if request in log["pending"]:
            log["pending"].remove(request)

    def failed(request):
        ended(request)
        log["failed"].append((request.url, request.failure))

    page.on("request", started)
    page.on("requestfinished", ended)
    page.on("requestfailed", failed)
    page.on("response", lambda r: r.status >= 400 and log["http_errors"].append((r.url, r.status)))
    page.on("console", lambda m: m.type == "error" and log["errors"].append(m.text))
    page.set_default_timeout(30_000)
    yield page, log
    page.close()


@pytest.fixture(scope="module")
def expected_run():
    """simulation.model.run on the configuration the page is given (same seed: the same run)."""
    overrides = {key: int(value) for key, value in SMALL.items()}
    return simulation.model.run(to_config(**{"territory.kind": "synthetic", **overrides}), progress=False)


def assert_offline(server: str, page: Page, log: dict[str, list]) -> None:
    """Every request of the page so far went to the local server and succeeded; no error in the console.

    Waits first for the requests in flight to end: an asset missing from solara-assets makes the server try
    the CDN (and retry) for several seconds before the browser sees the failure.
    """
    deadline = time.monotonic() + 30
    while log["pending"] and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert log["pending"] == [], [r.url for r in log["pending"]]
    local = (server, f"blob:{server}", "data:")  # blob: and data: URLs are made by the page itself
    assert log["requests"] and all(url.startswith(local) for url in log["requests"]), log["requests"]
    assert log["failed"] == [] and log["http_errors"] == [] and log["errors"] == []


def _shot(page: Page, view: str) -> None:
    # Solara dims the page while a route loads, then fades it in over 0.5 s (solara/server/assets/style.css)
    page.wait_for_function("() => !document.querySelector('.solara-page-loading')")
    page.wait_for_timeout(700)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"app_{view}.png"), full_page=True)


def test_run_view_loads_from_the_local_server_only(server, session):
    page, log = session
    page.goto(server + "/", wait_until="networkidle")
    page.wait_for_selector(".lieux-run")
    assert page.locator(".lieux-tab-run").is_visible() and page.locator(".lieux-tab-place").is_visible()
    # the page's scripts, styles and fonts all came from lieux-app (solara-assets), none from a CDN
    assert_offline(server, page, log)
    assert page.evaluate("document.fonts.check('16px Roboto')")  # Vuetify's font, from the local assets


def test_a_bad_value_shows_the_cli_message_beside_the_field(session):
    page, _ = session
    weeks = page.locator(f"{_field('weeks')} input")
    weeks.fill("0")
    weeks.press("Tab")
    page.click(".lieux-run")
    message = page.locator(f"{_field('weeks')} .v-messages__message")
    message.wait_for()
    # the words of `lieux weeks=0` (to_config's check), under the Weeks field
    assert message.inner_text() == "config key 'weeks': got 0, expected an integer >= 1"
    assert page.locator("#kpi-table").count() == 0


def test_a_small_run_shows_the_kpis_of_simulation_model_run(server, session, expected_run):
    page, log = session
    for key, value in SMALL.items():
        field = page.locator(f"{_field(key)} input")
        field.fill(value)
        field.press("Tab")
    page.click(".lieux-run")
    page.wait_for_selector("#kpi-table", timeout=RUN_TIMEOUT_MS)
    shown = _rows(page, "kpi-table")
    want = tables.kpi_frame(expected_run.summary).astype(str).values.tolist()
    assert shown == want  # every KPI, value and unit, formatted as `lieux` prints them
    assert page.locator(f"{_field('weeks')} .v-messages__message").count() == 0
    done = page.locator(".lieux-run-done").inner_text()
    assert done.startswith("Last finished run: 21 days simulated in")
    identity = dict(_rows(page, "run-identity"))
    assert (identity["scenario"], identity["weeks counted"]) == ("baseline", "2")
    assert_offline(server, page, log)
    _shot(page, "run")


def test_place_view_shows_a_place_of_the_last_run(server, session, expected_run):
    page, log = session
    page.click(".lieux-tab-place")
    page.wait_for_selector("#week-grid")
    places = expected_run.tables["places"]
    place_id = next(iter(tables.place_options(places).values()))  # the busiest place is shown first
    grid = _rows(page, "week-grid")
    want = tables.week_grid(expected_run.tables["slots"], place_id).reset_index().values.tolist()
    assert grid == want and len(grid) == 7 and all(len(r) == 4 for r in grid)
    row = dict(_rows(page, "place-row"))
    assert row["place_id"] == place_id
    assert row == dict(tables.place_row(places, place_id).values.tolist())
    assert_offline(server, page, log)
    _shot(page, "place")


def test_compare_view_opens_an_experiment(server, session):
    page, log = session
    page.click(".lieux-tab-compare")
    folder = page.locator(".lieux-compare-folder input")
    folder.fill(str(EXPERIMENT / "missing"))
    folder.press("Tab")
    page.click(".lieux-compare-open")
    error = page.locator(".lieux-compare-folder .v-messages__message")
    error.wait_for()
    assert "no such folder" in error.inner_text()
    folder.fill(str(EXPERIMENT))
    folder.press("Tab")
    page.click(".lieux-compare-open")
    page.wait_for_selector("#comparison-table")
    assert _rows(page, "comparison-table") == tables.comparison_frame(EXPERIMENT).values.tolist()
    assert len(_rows(page, "comparison-table")) == 4  # 1 scenario x 4 KPIs in comparison.csv
    # the report's sentence per strategy (simulation.viz.report_md.travel_readings), under the table
    reading = page.locator("#travel-reading p")
    assert reading.count() == 1
    assert reading.first.get_attribute("data-scenario") == "mediation_hubs"
    said = reporting.travel_readings(reporting.load_results(EXPERIMENT))["mediation_hubs"]
    assert reading.first.inner_text() == f"mediation hubs: {said}"
    assert_offline(server, page, log)
    _shot(page, "compare")


def test_a_long_run_shows_progress_leaves_the_page_free_and_can_be_cancelled(server, session):
    page, log = session
    page.click(".lieux-tab-run")
    # 40,000 adults for 104 weeks: several seconds of simulation, long enough to watch
    for key, value in {"weeks": "104", "territory.synthetic.adults": "40000"}.items():
        field = page.locator(f"{_field(key)} input")
        field.fill(value)
        field.press("Tab")
    page.click(".lieux-run")
    progress = page.locator(".lieux-progress")
    page.wait_for_function(
        "() => /day [1-9][0-9]* of 735/.test(document.querySelector('.lieux-progress')?.textContent || '')",
        timeout=RUN_TIMEOUT_MS,
    )
    _shot(page, "run_progress")
    # the page answers while the run goes on: another view opens and the run is still there on return
    page.click(".lieux-tab-compare")
    page.wait_for_selector(".lieux-compare-folder")
    page.click(".lieux-tab-run")
    if progress.count():  # not finished yet: stop it
        page.click(".lieux-cancel")
        page.locator(".lieux-run-message").wait_for()
        assert page.locator(".lieux-run-message").inner_text() == "Run cancelled."
    assert_offline(server, page, log)
