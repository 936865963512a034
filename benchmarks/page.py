"""Compare page benchmark: how fast a widget change redraws in a real browser, and how big the chart's payload is.

Usage (from the repository root)::

    python benchmarks/page.py                  # both parts, 7 changes per case
    python benchmarks/page.py --reps 11
    python benchmarks/page.py --skip-browser   # only the payload (no chromium needed)
    python benchmarks/page.py --skip-payload   # only the redraw timing

Needs Debian's chromium at /usr/bin/chromium and the playwright package for part (a) (never
``playwright install``).

(a) Redraw after a widget change, measured in the browser
---------------------------------------------------------
Starts ``python -m streamlit run streamlit_app.py`` headless on a free port (from the repository root, so
.streamlit/config.toml applies), opens the default Compare view (``/``: the mini-batch trap, 500 steps,
8 seeds, SGD + RProp + RMSProp) in headless Chromium, and changes the sidebar's **Steps** number input as a
person would: type a value, press Enter. An init script in the page records, on the page's own clock
(``performance.now()``):

* ``t0``: the Enter ``keydown`` event on the Steps input (the value is committed and the rerun requested
  on that event);
* ``script start``: the server's ``new_session`` message reaching the page (the rerun request reached the
  server, which started the script);
* ``script done``: the server's ``script_finished`` message reaching the page. Both are read from the
  websocket (a wrapper around the page's ``WebSocket`` reads each ForwardMsg's top-level protobuf fields);
  the app's ``data-test-script-state`` attribute is not used, as a quick rerun may never show in it;
* ``chart drawn``: the last ``CanvasRenderingContext2D.restore()`` call on the Vega chart's canvas
  (``canvas.marks``): Vega's canvas renderer ends every render with it, so this is the end of the chart's
  last redraw. (Paint to the screen follows at the next frame, ≤ 16 ms later; not included.)
* ``page settled``: the latest of the above and the last draw on any other canvas (the summary table,
  ``st.dataframe``, also draws on a canvas). This is the figure the target applies to;
* ``(long tasks)``: not a point in time but the summed duration of the page's long tasks (≥ 50 ms each,
  ``PerformanceObserver`` ``longtask``) after the Enter: how much of the wait is the browser's own work
  (mostly Vega rebuilding the chart's view).

For comparison it then replays the same changes in ``AppTest`` in this process and times the script run
alone (no websocket, no browser): the server's share of the wait.

A change counts as finished once the script is done and no canvas has been drawn for 400 ms; a change
after which the chart's canvas was not redrawn, or the URL does not show the new value, is reported as an
error. The websocket bytes the browser received for the change are counted through the DevTools protocol.
Two cases, N changes each (median, min and max over N):

* **uncached**: each change goes to a Steps value the server has not seen since it started (510, 520, …),
  so the engine runs, the frames and the chart's datasets are rebuilt: the full cost of a new view;
* **cached**: the changes alternate between the two most recent of those values, so every view comes from
  ``st.cache_data`` (race, frames and chart spec): what is left is Streamlit's own rerun, the transfer
  and the browser's redraw. The browser also keeps large elements it has seen (Streamlit's message cache)
  and the server then sends a reference instead of the chart, which the bytes column shows.

One warm-up change (505) and a change back to 500 come first and are not counted (the page loads the code
for a changed element on first use).

(b) Chart payload, measured server-side
---------------------------------------
Runs the Compare page in Streamlit's ``AppTest`` (``streamlit_app.py``, a fresh session with the query
string of each view) and measures its ``st.vega_lite_chart`` element: the Arrow datasets' bytes, the spec's
JSON bytes and ``len(element.proto.SerializeToString())``, the element as it goes on the wire (before the
ForwardMsg envelope). Views: the default, and the largest allowed settings
(``seeds=32&steps=5000&sgd_n=3&rprop_n=3&rms_n=3``: 9 configurations × 32 seeds × 5,000 steps) on a few
scenarios, the noisy ones at their largest noise. With the browser part it also reports the websocket
bytes a fresh browser tab received while loading the default and one largest view (the whole page: every
element, the sidebar's widgets, the table).

Targets (DESIGN.md, "Budgets"): a widget change redraws the default view in well under 0.5 s; a page's
chart data stays under 1 MB (10⁶ bytes) at the largest allowed settings.

The machine is a shared 2-core box: the load average is printed first, and other processes running at the
same time make every figure pessimistic.
"""

from __future__ import annotations

import argparse
import base64
import os
import platform
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Run as `python benchmarks/page.py` from anywhere: import dashboard/ and friends from the repository root.
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.e2e.harness import CHROMIUM, CHROMIUM_ARGS, IDLE, TOP_LEVEL_FIELDS, forward_msg_field, serve  # noqa: E402

REDRAW_TARGET_S = 0.5
RERUN_START_TIMEOUT_MS = 30_000  # from the Enter to the script's start
PAYLOAD_TARGET_BYTES = 1_000_000
MAX_QUERY = {"seeds": "32", "steps": "5000", "sgd_n": "3", "rprop_n": "3", "rms_n": "3"}
#: The views of part (b): the default, then the largest allowed settings on a few scenarios.
PAYLOAD_VIEWS: list[tuple[str, dict[str, str]]] = [
    ("default (/)", {}),
    ("max, minibatch-trap", {"scenario": "minibatch-trap", "pull": "3", **MAX_QUERY}),
    ("max, rosenbrock σ=50", {"scenario": "rosenbrock", "noise": "gaussian", "sigma": "50", **MAX_QUERY}),
    ("max, rastrigin skewed σ=50", {"scenario": "rastrigin", "noise": "skewed", "sigma": "50", **MAX_QUERY}),
    ("max, logistic batch 1", {"scenario": "logistic", "batch_size": "1", **MAX_QUERY}),
]

# Records, on the page's clock: the Enter on the Steps input; the server's `new_session` (a run started) and
# `script_finished` (a run ended) messages as the page receives them, read from the websocket (the top-level
# protobuf field numbers of each ForwardMsg; a quick rerun may never show in the app's script-state attribute);
# the page's long tasks; and the last draw on the Vega canvas and on any other canvas (the data grid).
INSTRUMENT = """
(() => {
  const NEW_SESSION = %(new_session)d, SCRIPT_FINISHED = %(script_finished)d;
  const bench = window.__bench = {t0: null, start: null, done: null, finished: 0, chart: null, other: null,
                                  long: [], last: 0};
  bench.reset = () => { bench.t0 = bench.start = bench.done = bench.chart = bench.other = null; bench.long = []; };
  document.addEventListener('keydown', (event) => {
    const target = event.target;
    if (event.key === 'Enter' && target && target.getAttribute && target.getAttribute('aria-label') === 'Steps') {
      bench.t0 = event.timeStamp;
    }
  }, true);
  const topLevelFields = %(top_level_fields)s;
  const NativeWebSocket = window.WebSocket;
  window.WebSocket = class extends NativeWebSocket {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', (event) => {
        if (!(event.data instanceof ArrayBuffer)) return;
        const t = performance.now(), fields = topLevelFields(new Uint8Array(event.data));
        if (fields.includes(NEW_SESSION) && bench.start === null) bench.start = t;
        if (fields.includes(SCRIPT_FINISHED)) { bench.finished += 1; bench.done = t; }
        bench.last = t;
      });
    }
  };
  new PerformanceObserver((list) => { for (const e of list.getEntries()) bench.long.push([e.startTime, e.duration]); })
    .observe({type: 'longtask', buffered: true});
  const restore = CanvasRenderingContext2D.prototype.restore;
  CanvasRenderingContext2D.prototype.restore = function (...args) {
    const out = restore.apply(this, args);
    const t = performance.now();
    if (this.canvas && this.canvas.classList && this.canvas.classList.contains('marks')) bench.chart = t;
    else bench.other = t;
    bench.last = t;
    return out;
  };
})();
"""


def instrument_script() -> str:
    numbers = {name: forward_msg_field(name) for name in ("new_session", "script_finished")}
    return INSTRUMENT % {**numbers, "top_level_fields": TOP_LEVEL_FIELDS}


QUIET = """(ms) => performance.now() - window.__bench.last > ms"""

CHART_DRAWN = """() => {
  const charts = [...document.querySelectorAll('[data-testid=stVegaLiteChart]')];
  return charts.length > 0 && charts.every((c) => [...c.querySelectorAll('canvas.marks, svg.marks')]
    .some((el) => el.getBoundingClientRect().width > 0 && el.getBoundingClientRect().height > 0));
}"""


# -- shared ------------------------------------------------------------------------------------------------


def machine_info() -> str:
    import streamlit

    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    cpus = os.cpu_count() or 1
    busy = os.getloadavg()[0] > 0.5 * cpus
    note = ("  ⚠ other processes are busy (1-min load above half the CPUs): figures are pessimistic"
            if busy else "  (machine looks idle)")
    return (f"machine: {platform.machine()} {platform.system()} {platform.release()}, {cpus} CPUs; "
            f"Python {platform.python_version()}, streamlit {streamlit.__version__}\n"
            f"load average at start (1, 5, 15 min): {load}\n{note}")


def load_note() -> str:
    return "load average now (1, 5, 15 min): " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def kb(n: float) -> str:
    return f"{n / 1000:,.1f} kB"


# -- (a) the browser ---------------------------------------------------------------------------------------


@dataclass
class Change:
    value: int
    start: float  # ms from the Enter to the script's start (the rerun request reached the server and ran)
    done: float  # ms from the Enter to the script's end
    chart: float | None  # ms from the Enter to the chart's last draw (None: not redrawn)
    settled: float  # ms from the Enter to the last of everything
    received: int  # websocket bytes received
    busy: float  # ms of main-thread long tasks (≥ 50 ms each) after the Enter
    error: str = ""


class Browser:
    """Tabs on the running app, instrumented; websocket bytes received are counted through the DevTools protocol.

    (Its frame timestamps are not used for timing: they are taken when the page's main thread handles a frame,
    so while the chart is being rebuilt they lag the network by hundreds of milliseconds.)"""

    def __init__(self, pw: Any, url: str) -> None:
        self.browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        self.url = url
        self.received = 0
        self.errors: list[str] = []
        self.version = self.browser.version

    def new_tab(self) -> Any:
        context = self.browser.new_context(viewport={"width": 1400, "height": 1000})
        context.add_init_script(instrument_script())
        page = context.new_page()
        page.set_default_timeout(180_000)
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        cdp = context.new_cdp_session(page)
        cdp.on("Network.webSocketFrameReceived", self._received)
        cdp.send("Network.enable")
        return page

    def _received(self, event: dict) -> None:
        frame = event["response"]
        payload = base64.b64decode(frame["payloadData"]) if frame.get("opcode") == 2 else frame["payloadData"]
        self.received += len(payload)

    def load(self, page: Any, path: str) -> tuple[float, int]:
        """Open ``path`` in ``page``; seconds until the script finished and the chart drew, and bytes received."""
        self.received = 0
        start = time.perf_counter()
        page.goto(self.url + path)
        page.wait_for_function("window.__bench.finished > 0")
        page.wait_for_selector(IDLE)
        page.wait_for_function(CHART_DRAWN)
        page.wait_for_function(QUIET, arg=400, polling=50)
        return time.perf_counter() - start - 0.4, self.received

    def change_steps(self, page: Any, value: int) -> Change:
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        field = page.locator('[data-testid=stSidebar] input[aria-label="Steps"]')
        before = page.evaluate("window.__bench.finished")
        page.evaluate("window.__bench.reset()")
        self.received = 0
        field.fill(str(value))
        field.press("Enter")
        try:
            page.wait_for_function("() => window.__bench.start !== null", timeout=RERUN_START_TIMEOUT_MS)
        except PlaywrightTimeout:
            raise RuntimeError(f"no rerun started within {RERUN_START_TIMEOUT_MS / 1000:.0f} s of typing "
                               f"steps={value} + Enter") from None
        page.wait_for_function("(n) => window.__bench.finished > n", arg=before)
        page.wait_for_selector(IDLE)
        page.wait_for_function(QUIET, arg=400, polling=50)
        b = page.evaluate("({t0: __bench.t0, start: __bench.start, done: __bench.done, chart: __bench.chart, "
                          "other: __bench.other, long: __bench.long})")
        t0 = b["t0"]
        errors = []
        if t0 is None:
            raise RuntimeError("the Enter on the Steps input was not seen")
        chart = b["chart"] - t0 if b["chart"] is not None and b["chart"] > t0 else None
        if chart is None:
            errors.append("chart not redrawn")
        if f"steps={value}" not in page.url and value != 500:  # 500 is the default: not written to the URL
            errors.append(f"URL does not show steps={value}: {page.url}")
        error = "; ".join(errors)
        settled = max(x for x in (b["done"], b["chart"], b["other"]) if x is not None) - t0
        start = b["start"] - t0 if b["start"] is not None else float("nan")
        busy = sum(duration for begin, duration in b["long"] if begin + duration > t0)
        return Change(value, start, b["done"] - t0, chart, settled, self.received, busy, error)


def summarize(name: str, changes: list[Change]) -> list[str]:
    def stats(values: list[float]) -> str:
        return f"{statistics.median(values):7.0f} {min(values):7.0f} {max(values):7.0f}"

    start = [c.start for c in changes]
    busy = [c.busy for c in changes]
    done = [c.done for c in changes]
    chart = [c.chart for c in changes if c.chart is not None]
    settled = [c.settled for c in changes]
    received = statistics.median(c.received for c in changes)
    rows = [f"  {name:<9} script start  {stats(start)}",
            f"  {'':<9} script done   {stats(done)}",
            f"  {'':<9} chart drawn   {stats(chart) if chart else '  (never redrawn)'}",
            f"  {'':<9} page settled  {stats(settled)}    ws received (median) {kb(received)}",
            f"  {'':<9} (long tasks)  {stats(busy)}    main-thread time in tasks ≥ 50 ms, not a point in time"]
    for c in changes:
        if c.error:
            rows.append(f"  ! steps={c.value}: {c.error}")
    return rows


def quiet_streamlit_logs() -> None:
    """Outside a server, Streamlit warns on every AppTest run (no ScriptRunContext in this thread) and every
    ``st.cache_data.clear()`` (no runtime): not news here. Filters, because Streamlit resets its loggers'
    levels when it loads its config."""
    import logging

    for name, text in (("streamlit.runtime.scriptrunner_utils.script_run_context", "missing ScriptRunContext"),
                       ("streamlit.runtime.caching.cache_data_api", "No runtime found")):
        logging.getLogger(name).addFilter(lambda record, text=text: text not in record.getMessage())


def server_script_times(reps: int) -> tuple[list[float], list[float]]:
    """The same Steps changes as in the browser, run by AppTest in this process: ms per script run alone
    (no websocket, no browser). Returns (uncached, cached)."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    quiet_streamlit_logs()
    st.cache_data.clear()
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=600).run()

    def change(value: int) -> float:
        at.number_input(key="steps").set_value(value)
        start = time.perf_counter()
        at.run()
        if at.exception:
            raise RuntimeError(f"steps={value}: {at.exception[0].value}")
        return (time.perf_counter() - start) * 1000

    change(505)
    change(500)
    uncached = [change(510 + 10 * i) for i in range(reps)]
    seen = (510 + 10 * (reps - 2), 510 + 10 * (reps - 1)) if reps > 1 else (500, 510)
    cached = [change(seen[i % 2]) for i in range(reps)]
    return uncached, cached


def browser_part(reps: int) -> list[str]:
    from playwright.sync_api import sync_playwright

    with serve() as server, sync_playwright() as pw:
        tabs = Browser(pw, server.url)
        page = tabs.new_tab()
        first_load, first_bytes = tabs.load(page, "/")
        tabs.change_steps(page, 505)  # warm-up: loads the code paths of a changed element; not counted
        tabs.change_steps(page, 500)
        uncached = [tabs.change_steps(page, 510 + 10 * i) for i in range(reps)]
        seen = (uncached[-2].value, uncached[-1].value) if reps > 1 else (500, uncached[-1].value)
        cached = [tabs.change_steps(page, seen[i % 2]) for i in range(reps)]

        default_load, default_bytes = tabs.load(tabs.new_tab(), "/")
        query = "&".join(f"{k}={v}" for k, v in PAYLOAD_VIEWS[1][1].items())
        big_load, big_bytes = tabs.load(tabs.new_tab(), "/?" + query)
        version, errors = tabs.version, tabs.errors
        tabs.browser.close()
    alone_uncached, alone_cached = server_script_times(reps)

    def median(changes: list[Change]) -> float:
        return statistics.median(c.settled for c in changes)

    lines = [f"(a) widget change -> redraw, default Compare view, browser-measured, Chromium {version}",
             f"    Steps changed by typing + Enter, {reps} changes per case; ms from the Enter keydown",
             f"  {'case':<9} {'until':<13} {'median':>7} {'min':>7} {'max':>7}"]
    lines += summarize("uncached", uncached)
    lines.append("            (a Steps value new to the server each time: engine + frames + chart data rebuilt)")
    lines += summarize("cached", cached)
    lines.append(f"            (alternating steps={seen[0]} / {seen[1]}, both seen before: served by st.cache_data)")
    lines.append("  the same changes, the script run alone (AppTest in this process, no websocket, no browser): "
                 f"uncached median {statistics.median(alone_uncached):.0f} ms (min {min(alone_uncached):.0f}), "
                 f"cached median {statistics.median(alone_cached):.0f} ms (min {min(alone_cached):.0f})")
    limit = REDRAW_TARGET_S * 1000
    lines.append(f"  target: well under {limit:.0f} ms  ->  page settled, median: uncached {median(uncached):.0f} ms "
                 f"({median(uncached) / limit:.0%} of it), cached {median(cached):.0f} ms "
                 f"({median(cached) / limit:.0%})")
    lines.append("")
    lines.append("    page loads in a fresh tab (goto -> script done, chart drawn; includes the tab's own start):")
    lines.append(f"  first load of / on a fresh server   {first_load:6.2f} s   ws received {kb(first_bytes)}")
    lines.append(f"  /  (cached on the server)           {default_load:6.2f} s   ws received {kb(default_bytes)}")
    lines.append(f"  /?{query} {big_load:6.2f} s   ws received {kb(big_bytes)}")
    if errors:
        lines.append(f"  ! page errors: {errors}")
    return lines


# -- (b) the payload ---------------------------------------------------------------------------------------


def payload_part() -> list[str]:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    quiet_streamlit_logs()

    lines = ["(b) chart payload, server-side (AppTest, the st.vega_lite_chart element of the Compare page)",
             f"  {'view':<28} {'datasets':>10} {'spec':>9} {'element':>10}  {'rows':>7}  run s  notes"]
    worst = 0
    for name, query in PAYLOAD_VIEWS:
        st.cache_data.clear()  # "run s" is then a fresh view's time
        at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=600)
        for key, value in query.items():
            at.query_params[key] = value
        start = time.perf_counter()
        at.run()
        seconds = time.perf_counter() - start
        notes = []
        if at.exception:
            notes.append(f"EXCEPTION {at.exception[0].value[:80]!r}")
        warnings = [w.value for w in at.warning]
        if warnings:
            notes.append("warning: " + " ".join(warnings)[:100])
        charts = at.get("vega_lite_chart")
        if len(charts) != 1:
            lines.append(f"  {name:<28} expected 1 chart, found {len(charts)} {' '.join(notes)}")
            continue
        proto = charts[0].proto
        data = sum(len(ds.data.data) for ds in proto.datasets)
        spec = len(proto.spec.encode())
        element = len(proto.SerializeToString())
        worst = max(worst, element) if name.startswith("max") else worst
        rows = _rows(proto)
        configs = len(at.dataframe[0].value) if at.dataframe else 0  # the summary table: one row per configuration
        lines.append(f"  {name:<28} {kb(data):>10} {kb(spec):>9} {kb(element):>10}  {rows:>7,}  {seconds:5.1f}"
                     f"  {' '.join([f'{configs} configs', *notes])}")
    lines.append(f"  target: under {kb(PAYLOAD_TARGET_BYTES)} at the largest settings  ->  largest element "
                 f"{kb(worst)} ({'OK' if worst < PAYLOAD_TARGET_BYTES else 'OVER'})")
    return lines


def _rows(proto: Any) -> int:
    import io

    import pyarrow as pa

    return sum(pa.ipc.open_stream(io.BytesIO(ds.data.data)).read_all().num_rows for ds in proto.datasets)


# -- main --------------------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=7, help="widget changes per case; the median counts (7)")
    parser.add_argument("--skip-browser", action="store_true", help="skip (a), the browser timing")
    parser.add_argument("--skip-payload", action="store_true", help="skip (b), the AppTest payload")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    os.chdir(ROOT)
    print(machine_info(), flush=True)
    print(flush=True)
    if not args.skip_browser:
        if not os.path.exists(CHROMIUM):
            print(f"(a) skipped: no chromium at {CHROMIUM}")
        else:
            print("\n".join(browser_part(max(args.reps, 1))), flush=True)
        print(flush=True)
    if not args.skip_payload:
        print("\n".join(payload_part()), flush=True)
        print(flush=True)
    print(load_note())


if __name__ == "__main__":
    main()
