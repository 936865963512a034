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

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.e2e.harness import (
    CHROMIUM,
    CHROMIUM_ARGS,
    IDLE,
    TOP_LEVEL_FIELDS,
    Server,
    forward_msg_field,
    missing_requirement,
    serve,
)

VIEWPORT = {"width": 1400, "height": 1000}


# Counts the script runs the server reports, from the websocket itself: every ForwardMsg carrying
# `new_session` (a run started) or `script_finished` (a run ended). The stApp element's
# data-test-script-state attribute is not enough to count runs: when a rerun is quick, React can render
# "running" and "notRunning" in one go, and the attribute never changes.
COUNT_RUNS = """
(() => {
  const NEW_SESSION = %(new_session)d, SCRIPT_FINISHED = %(script_finished)d;
  const runs = window.__e2e = {started: 0, finished: 0};
  const topLevelFields = %(top_level_fields)s;
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
                         "script_finished": forward_msg_field("script_finished"),
                         "top_level_fields": TOP_LEVEL_FIELDS}


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


@pytest.fixture(scope="session")
def streamlit_server() -> Iterator[Server]:
    reason = missing_requirement()
    if reason:
        pytest.skip(reason)
    try:
        with serve() as server:
            yield server
    except RuntimeError as error:
        pytest.fail(str(error))


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
