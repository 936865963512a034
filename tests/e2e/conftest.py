"""Fixtures for the end-to-end tests: one Streamlit server and one headless Chromium for the whole session.

The server is ``python -m streamlit run streamlit_app.py`` started from the repository root on a free port
(so .streamlit/config.toml applies); the browser is Debian's chromium (never ``playwright install``). Both
start only when an e2e test asks for them, so ``pytest tests/optimizers`` never pays for them. Without
/usr/bin/chromium or the playwright package every e2e test is skipped, saying which one is missing.

Each test gets a fresh browser context (no shared cookies or session) holding one page, with:

* ``page.errors``: uncaught JavaScript errors (``pageerror``) seen so far;
* an init script that counts finished script runs (``window.__e2e.finished``, from the websocket's
  ``script_finished`` messages), so a test can wait for the rerun its own action caused rather than for a
  "notRunning" state that was there before it acted.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1400, "height": 1000}
SERVER_START_TIMEOUT = 60.0  # seconds until /_stcore/health answers "ok"
IDLE = "[data-testid=stApp][data-test-script-state=notRunning]"


def missing_requirement() -> str | None:
    """Why the e2e tests cannot run here, or None."""
    if not os.path.exists(CHROMIUM):
        return f"e2e tests need Debian's chromium at {CHROMIUM} (apt-get install chromium)"
    if importlib.util.find_spec("playwright") is None:
        return "e2e tests need the playwright Python package (pip install -r requirements-dev.txt)"
    return None


def forward_msg_field(name: str) -> int:
    """The protobuf field number of one kind of server message (``ForwardMsg.<name>``)."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    return ForwardMsg.DESCRIPTOR.fields_by_name[name].number


# Counts the script runs the server reports, from the websocket itself: every ForwardMsg carrying
# `new_session` (a run started) or `script_finished` (a run ended). The stApp element's
# data-test-script-state attribute is not enough to count runs: when a rerun is quick, React can render
# "running" and "notRunning" in one go, and the attribute never changes.
COUNT_RUNS = """
(() => {
  const NEW_SESSION = %(new_session)d, SCRIPT_FINISHED = %(script_finished)d;
  const runs = window.__e2e = {started: 0, finished: 0};
  const topLevelFields = (bytes) => {  // the field numbers at the top of a protobuf message
    const fields = [];
    let i = 0;
    const varint = () => { let x = 0, shift = 0, b; do { b = bytes[i++]; x += (b & 0x7f) * 2 ** shift; shift += 7; }
                           while (b & 0x80 && i < bytes.length); return x; };
    while (i < bytes.length) {
      const key = varint(), wire = key %% 8;
      fields.push(Math.floor(key / 8));
      if (wire === 0) varint(); else if (wire === 1) i += 8; else if (wire === 2) { const n = varint(); i += n; }
      else if (wire === 5) i += 4; else break;
    }
    return fields;
  };
  const NativeWebSocket = window.WebSocket;
  window.WebSocket = class extends NativeWebSocket {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', (event) => {
        if (!(event.data instanceof ArrayBuffer)) return;
        const fields = topLevelFields(new Uint8Array(event.data));
        if (fields.includes(NEW_SESSION)) runs.started += 1;
        if (fields.includes(SCRIPT_FINISHED)) runs.finished += 1;
      });
    }
  };
})();
"""


def count_runs_script() -> str:
    return COUNT_RUNS % {"new_session": forward_msg_field("new_session"),
                         "script_finished": forward_msg_field("script_finished")}


# True once every Vega chart on the page has drawn: a canvas or svg of non-zero size inside each.
CHARTS_DRAWN = """(expected) => {
  const charts = [...document.querySelectorAll('[data-testid=stVegaLiteChart]')];
  if (charts.length < expected) return false;
  return charts.every((chart) => [...chart.querySelectorAll('canvas.marks, svg.marks')].some((el) => {
    const box = el.getBoundingClientRect();
    return box.width > 0 && box.height > 0;
  }));
}"""

# True once the first dataframe's accessible table contains `contains` and kept the same text for `ms`.
TABLE_SETTLED = """([contains, ms]) => {
  const table = document.querySelector('[data-testid=stDataFrame] table');
  if (!table) return false;
  const text = table.innerText, now = performance.now();
  const seen = window.__e2eTable || (window.__e2eTable = {text: null, since: now});
  if (text !== seen.text) { seen.text = text; seen.since = now; return false; }
  return text.includes(contains) && now - seen.since >= ms;
}"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    log_path: Path

    def log_tail(self, lines: int = 60) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return "(no log)"


@pytest.fixture(scope="session")
def streamlit_server() -> Iterator[Server]:
    reason = missing_requirement()
    if reason:
        pytest.skip(reason)
    port = free_port()
    log_dir = Path(tempfile.mkdtemp(prefix="descent-lab-e2e-"))
    log_path = log_dir / "streamlit.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.headless", "true",
             "--browser.gatherUsageStats", "false", "--server.port", str(port), "--server.address", "127.0.0.1"],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
        )
    server = Server(f"http://127.0.0.1:{port}", process, log_path)
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while True:
            if process.poll() is not None:
                pytest.fail(f"streamlit exited with code {process.returncode} before it was healthy:\n"
                            f"{server.log_tail()}")
            try:
                with urllib.request.urlopen(f"{server.url}/_stcore/health", timeout=1) as response:
                    if response.read() == b"ok":
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"streamlit was not healthy after {SERVER_START_TIMEOUT:.0f} s:\n{server.log_tail()}")
            time.sleep(0.2)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    reason = missing_requirement()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@dataclass
class AppPage:
    """A page of the running app in its own browser context, with helpers that wait the way a person would."""

    page: Any  # playwright.sync_api.Page
    server: Server
    errors: list[str] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return self.server.url

    def runs_finished(self) -> int:
        return int(self.page.evaluate("window.__e2e.finished"))

    def open(self, path: str, charts: int = 1, timeout: float = 60_000) -> None:
        """Load ``path``, wait for the script to finish and for ``charts`` Vega charts to draw."""
        self.page.goto(self.base_url + path)
        self.page.wait_for_function("window.__e2e.finished > 0", timeout=timeout)
        self.wait_idle(charts, timeout)

    def wait_idle(self, charts: int = 1, timeout: float = 60_000) -> None:
        """No script running, and at least ``charts`` Vega charts drawn (elements can render a moment after
        the run ends: Streamlit loads each element's code on first use)."""
        self.page.wait_for_selector(IDLE, timeout=timeout)
        if charts:
            self.page.wait_for_function(CHARTS_DRAWN, arg=charts, timeout=timeout)

    def wait_rerun(self, before: int, charts: int = 1, timeout: float = 60_000) -> None:
        """Wait for a run that finished after ``before`` (a :meth:`runs_finished` count), then for idle."""
        self.page.wait_for_function("(n) => window.__e2e.finished > n", arg=before, timeout=timeout)
        self.wait_idle(charts, timeout)

    def table_text(self, contains: str = "", settle_ms: int = 400, timeout: float = 30_000) -> str:
        """The summary table's text once it holds ``contains`` and has not changed for ``settle_ms``.

        st.dataframe draws on a canvas; its accessible <table> holds the cells' text. The grid takes in new
        data a moment after the script run ends, so right after a rerun the table may still show the old
        values: wait until the text settles (and, if the test knows what to expect, until it shows it).
        """
        self.page.wait_for_function(TABLE_SETTLED, arg=[contains, settle_ms], timeout=timeout)
        return self.page.locator("[data-testid=stDataFrame] table").first.inner_text()


@pytest.fixture
def new_app_page(browser, streamlit_server) -> Iterator[Any]:
    """A factory: each call opens a fresh browser context (a new Streamlit session) with one page."""
    contexts = []

    def make() -> AppPage:
        context = browser.new_context(viewport=VIEWPORT)
        contexts.append(context)
        context.add_init_script(count_runs_script())
        page = context.new_page()
        page.set_default_timeout(60_000)
        app = AppPage(page, streamlit_server)
        page.on("pageerror", lambda error: app.errors.append(str(error)))
        return app

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def app_page(new_app_page) -> AppPage:
    return new_app_page()
