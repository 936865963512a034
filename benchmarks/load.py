"""Load test for the dashboard over Streamlit's own websocket protocol, next to Streamlit's floor.

Usage::

    python benchmarks/load.py                                   # 16 sessions x 10 reruns of "/", then the floor
    python benchmarks/load.py --sessions 4 --reruns-per-session 5
    python benchmarks/load.py --views "/" "/?scenario=rosenbrock&seeds=8" "/story" "/sweep" --json load.json

Browsers on this 2-core machine would mostly measure themselves, so the driver speaks the browser's protocol
directly, with asyncio and ``websockets``, and renders nothing.

What it does
------------
1. Starts ``streamlit run APP`` headless on a free port, with the project root as working directory (so
   .streamlit/config.toml applies), and waits for ``/_stcore/health``.
2. Checks each view in one session before the load and prints what it rendered: the page that ran, its first
   heading, the element count, exceptions, and whether two views rendered exactly the same (then the query
   string selects nothing and the benchmark would measure one view twice). This pass also warms the server.
3. Opens N sessions at once. Session i reruns the views in turn starting at view i, so the sessions spread
   over the views, and asks for its next rerun as soon as the last one finished: a closed loop, no think time.
4. Does the same against benchmarks/trivial_app.py (a title and three small Altair charts, view "/"):
   Streamlit's floor on this machine. Both servers run one after the other, never at once.

The protocol (what a browser tab does)
--------------------------------------
The tab opens ``ws://HOST/_stcore/stream`` asking for subprotocol ``streamlit``. The server reads that
header as a list: the subprotocol, then an XSRF token (checked only to trust auth cookies) and a session id
to resume; a fresh tab without login sends neither, and neither does the driver. Then both sides exchange
binary protobufs from ``streamlit.proto``: ``BackMsg`` up, ``ForwardMsg`` down. Nothing runs until the tab
asks: a rerun is ``BackMsg.rerun_script``, a ``ClientState`` with

- ``query_string``: the URL's query, without "?";
- ``page_name``: the URL path without slashes; the server picks the page of ``st.navigation`` (which is
  also what a pages/ directory becomes) whose ``url_pathname`` it is. An app without pages ignores it;
- ``page_script_hash``: the page's hash, once the ``navigation`` ForwardMsg has told the tab the hashes.
  Browsers send it after the first load and it matters: the server drops query params bound to widgets of
  any page but the main script and the one named by hash, so a later rerun by name alone loses them;
- ``is_history_navigation``: True. A widget with ``bind="query-params"`` takes its value from the URL on
  its first render in a session only; after that session state wins, except on back/forward navigation,
  where the URL wins (and a param missing from it means the default). Every rerun here is such a
  navigation, so a view renders what its URL says whatever the session showed before, as if a user had
  opened the link;
- ``cached_message_hashes``: see below.

The server answers with ``new_session`` (a run started; app config), ``navigation`` (the pages and the one
that runs), ``delta`` messages (elements; an exception is ``Delta.new_element.exception``), perhaps
``page_info_changed`` (the app rewrote the query string, e.g. dropped an invalid value) or
``page_not_found``, and ``script_finished``. A run that calls ``st.rerun()`` finishes with
FINISHED_EARLY_FOR_RERUN and starts again, so a rerun ends at the first FINISHED_SUCCESSFULLY or
FINISHED_WITH_COMPILE_ERROR after the request's ``new_session``; like the frontend, the driver ignores a
finish that comes before it (one left over from an earlier run).

Elements of at least ``global.minCachedMessageSize`` (10 kB) come marked cacheable. The browser keeps them
and lists their hashes in its next rerun requests, and the server sends a ``ref_hash`` in place of an element
the browser has. The driver keeps the same cache, forgetting entries not used for ``maxCachedMessageAge``
finished runs as the frontend does, so bytes per rerun are a browser's; ``--no-browser-cache`` asks for
everything every time.

What is measured (load phase only)
----------------------------------
- reruns/s: finished reruns of all sessions / wall time from the first request to the last finish;
- p50/p95: seconds from sending ``rerun_script`` to its ``script_finished``, queueing in the server included.
  A session's first rerun is its page load, which also creates the session on the server; all sessions load
  at once, so these are the slowest wave, and their p95 is also shown apart from the later reruns';
- errors: exception elements, compile errors, ``page_not_found``, a page other than the one asked for,
  a ``ref_hash`` missing from the cache, timeouts and dropped connections; exceptions also alone;
- bytes/rerun: the sizes of the websocket messages received for a rerun, summed, then averaged;
- peak server RSS: the server's process tree, VmRSS summed and polled every 0.1 s from /proc over the
  server's whole life (checks included), or the server process's own VmHWM if that is higher;
- server CPU/rerun: user + system time of the server's process tree during the load phase / reruns;
- the driver's CPU, and the other processes' (all busy time in /proc/stat less the server's and the driver's):
  the figures are only as good as the machine was quiet; a note says when it was not.

Caveats: the driver neither renders nor sends heartbeats or widget values, so a browser's cost and its widget
round-trips are not in the figures, and a view is only what its URL can say. Message sizes are payloads; the
server (uvicorn) does not negotiate websocket compression.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import streamlit
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import WebSocketException

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_APP = ROOT / "streamlit_app.py"
TRIVIAL_APP = Path(__file__).resolve().parent / "trivial_app.py"

# From the issue; they are defined for 16 sessions on this 2-core machine.
TARGET_RERUNS_PER_S = 8.0
TARGET_P95_S = 2.5
TARGET_PEAK_RSS_MB = 700.0
TARGET_SESSIONS = 16

# A rerun is over at one of these; FINISHED_EARLY_FOR_RERUN (st.rerun) and fragment runs are not the end.
FINAL_STATUSES = {ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_WITH_COMPILE_ERROR}
MEMORY_POLL_S = 0.1


# ---------------------------------------------------------------------------------------------------------
# Views


@dataclass(frozen=True)
class View:
    """A URL of the app: the path selects the page, the query string sets widgets bound to query params."""

    url: str
    page: str  # url_pathname as st.navigation has it: no slashes, "" for the default page
    query: str  # without "?"

    @classmethod
    def parse(cls, url: str) -> View:
        parts = urlsplit(url if url.startswith("/") else "/" + url)
        return cls(url=url, page=parts.path.strip("/"), query=parts.query)


def query_rewrite(sent: str, final: str) -> str | None:
    """Say how the app changed the query string it was given (order and encoding aside), or None."""
    before, after = parse_qs(sent, keep_blank_values=True), parse_qs(final, keep_blank_values=True)
    if before == after:
        return None
    changes = [f"{k} dropped" for k in before if k not in after]
    changes += [f"{k} became {','.join(after[k])}" for k in before if k in after and after[k] != before[k]]
    changes += [f"{k}={','.join(after[k])} added" for k in after if k not in before]
    # Streamlit drops a bound param equal to the widget's default as well as one the widget cannot take.
    return f"the app rewrote the query string: {'; '.join(changes)} (dropped: the default, or invalid)"


# ---------------------------------------------------------------------------------------------------------
# The server process


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class StreamlitServer:
    """``streamlit run`` in its own process group, with /proc readings of its process tree."""

    def __init__(self, app: Path, extra_flags: list[str]) -> None:
        self.app = app
        self.port = free_port()
        self.log = tempfile.NamedTemporaryFile(prefix="streamlit-load-", suffix=".log", delete=False)  # noqa: SIM115
        cmd = [
            sys.executable, "-m", "streamlit", "run", str(app),
            "--server.headless", "true",
            "--browser.gatherUsageStats", "false",
            "--server.address", "127.0.0.1",
            "--server.port", str(self.port),
            *extra_flags,
        ]  # fmt: skip
        # A group of its own, so that stopping it also stops anything the app started.
        self.proc = subprocess.Popen(cmd, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_healthy(self, timeout_s: float = 90.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"streamlit exited with {self.proc.returncode}:\n{self.log_tail()}")
            with contextlib.suppress(OSError), urllib.request.urlopen(self.url + "/_stcore/health", timeout=2) as resp:
                if resp.status == 200:
                    return
            time.sleep(0.2)
        raise RuntimeError(f"streamlit not healthy after {timeout_s:.0f} s:\n{self.log_tail()}")

    def log_text(self) -> str:
        return Path(self.log.name).read_text(errors="replace")

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()

    def tree(self) -> list[int]:
        """The server's pid and its descendants', from /proc/PID/task/TID/children."""
        pids, todo = [], [self.proc.pid]
        while todo:
            pid = todo.pop()
            pids.append(pid)
            with contextlib.suppress(OSError):
                for task in os.listdir(f"/proc/{pid}/task"):
                    with open(f"/proc/{pid}/task/{task}/children") as f:
                        todo.extend(int(child) for child in f.read().split())
        return pids

    def rss_bytes(self) -> int:
        return sum(_status_kb(pid, "VmRSS") for pid in self.tree()) * 1024

    def hwm_bytes(self) -> int:
        return _status_kb(self.proc.pid, "VmHWM") * 1024

    def cpu_seconds(self) -> float:
        ticks = 0
        for pid in self.tree():
            with contextlib.suppress(OSError), open(f"/proc/{pid}/stat") as f:
                # Fields after the ")" that closes the command name: utime and stime are the 12th and 13th.
                fields = f.read().rsplit(")", 1)[1].split()
                ticks += int(fields[11]) + int(fields[12])
        return ticks / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float:
    """CPU time all processes spent since boot, from /proc/stat, to tell whether others shared the cores."""
    with open("/proc/stat") as f:
        user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, f.readline().split()[1:9])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def _status_kb(pid: int, key: str) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:  # the process ended between listing and reading
        pass
    return 0


class MemoryWatch:
    """Polls the server tree's RSS on the event loop; /proc reads take microseconds."""

    def __init__(self, server: StreamlitServer) -> None:
        self.server = server
        self.idle = server.rss_bytes()
        self.peak = self.idle
        self._task = asyncio.get_running_loop().create_task(self._poll())

    async def _poll(self) -> None:
        while True:
            self.peak = max(self.peak, self.server.rss_bytes())
            await asyncio.sleep(MEMORY_POLL_S)

    async def stop(self) -> int:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        return max(self.peak, self.server.rss_bytes(), self.server.hwm_bytes())


# ---------------------------------------------------------------------------------------------------------
# One browser tab


class BrowserCache:
    """The frontend's ForwardMsg cache: cacheable elements by hash, dropped after max_age unused runs."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[ForwardMsg, int]] = {}  # hash -> (message, run count at last use)
        self._runs = 0

    def hashes(self) -> list[str]:
        return list(self._entries)

    def resolve(self, msg: ForwardMsg) -> ForwardMsg | None:
        """Return the message a ref_hash stands for (None if unknown), and keep what is cacheable."""
        if msg.WhichOneof("type") == "ref_hash":
            entry = self._entries.get(msg.ref_hash)
            if entry is None:
                return None
            full = ForwardMsg()
            full.CopyFrom(entry[0])
            full.metadata.CopyFrom(msg.metadata)  # the reference says where the element goes this time
            self._entries[msg.ref_hash] = (entry[0], self._runs)
            return full
        if msg.metadata.cacheable:
            self._entries[msg.hash] = (msg, self._runs)
        return msg

    def run_finished(self, max_age: int) -> None:
        self._runs += 1
        self._entries = {h: e for h, e in self._entries.items() if self._runs - e[1] <= max_age}


@dataclass
class Rerun:
    """What one rerun request brought back."""

    view: str
    seconds: float = 0.0
    bytes: int = 0
    elements: int = 0
    exceptions: int = 0
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    page: str | None = None  # url_pathname of the page that ran; None when the app has no st.navigation
    title: str = ""  # the first heading, to tell pages apart at a glance
    fingerprint: str = ""  # hash of every element and block, to tell whether two views differ
    first: bool = False  # the session's first rerun: the page load, which also creates the server session


class Session:
    """One simulated browser tab: a websocket and what the tab remembers between reruns."""

    def __init__(self, ws: ClientConnection, browser_cache: bool) -> None:
        self.ws = ws
        self.page_hashes: dict[str, str] = {}  # url_pathname -> page_script_hash, from `navigation`
        self.cache = BrowserCache() if browser_cache else None
        self.max_cache_age = 2  # replaced by new_session.config

    @classmethod
    async def open(cls, base_url: str, browser_cache: bool) -> Session:
        ws_url = base_url.replace("http://", "ws://") + "/_stcore/stream"
        # No websocket pings: a browser cannot send them, and a busy server answering late must not end the test.
        ws = await connect(ws_url, subprotocols=["streamlit"], max_size=None, ping_interval=None, open_timeout=60)
        return cls(ws, browser_cache)

    async def close(self) -> None:
        await self.ws.close()

    def request(self, view: View) -> bytes:
        msg = BackMsg()
        state = msg.rerun_script
        state.query_string = view.query
        state.page_name = view.page
        state.page_script_hash = self.page_hashes.get(view.page, "")
        state.is_history_navigation = True
        if self.cache is not None:
            state.cached_message_hashes.extend(self.cache.hashes())
        return msg.SerializeToString()

    async def rerun(self, view: View, timeout_s: float) -> Rerun:
        """Ask for one rerun of the view and read the reply up to its script_finished."""
        result = Rerun(view=view.url)
        digest = hashlib.sha1()
        started = False  # a new_session came after our request: the finish that follows is ours
        navigated = False
        final_query: str | None = None  # the query string as the app left it, if it changed it
        t0 = time.perf_counter()
        await self.ws.send(self.request(view))
        async with asyncio.timeout(timeout_s):
            while True:
                raw = await self.ws.recv(decode=False)
                result.bytes += len(raw)
                msg = ForwardMsg.FromString(raw)
                if self.cache is not None:
                    resolved = self.cache.resolve(msg)
                    if resolved is None:
                        result.errors.append(f"ref_hash {msg.ref_hash[:8]} not in the browser cache")
                        continue
                    msg = resolved
                kind = msg.WhichOneof("type")
                if kind == "new_session":
                    # A run that calls st.rerun() is replaced by the next: describe what the last run shows.
                    started, digest, result.elements, result.title = True, hashlib.sha1(), 0, ""
                    self.max_cache_age = msg.new_session.config.max_cached_message_age
                elif kind == "navigation":
                    navigated = True
                    self.page_hashes = {p.url_pathname: p.page_script_hash for p in msg.navigation.app_pages}
                    by_hash = {h: url for url, h in self.page_hashes.items()}
                    result.page = by_hash.get(msg.navigation.page_script_hash, "?")
                elif kind == "page_not_found":
                    result.errors.append(f"page not found: /{view.page}")
                elif kind == "page_info_changed":
                    final_query = msg.page_info_changed.query_string
                elif kind == "delta":
                    self._read_delta(msg, result, digest)
                elif kind == "script_finished" and started and msg.script_finished in FINAL_STATUSES:
                    if msg.script_finished == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                        # The SyntaxError itself follows as a session_event; the server log has it too.
                        result.errors.append("the script failed to compile")
                    if self.cache is not None:
                        self.cache.run_finished(self.max_cache_age)
                    break
        result.seconds = time.perf_counter() - t0
        result.fingerprint = digest.hexdigest()
        self._check_page(view, result, navigated)
        if final_query is not None and (rewrite := query_rewrite(view.query, final_query)):
            result.warnings.append(rewrite)
        return result

    @staticmethod
    def _read_delta(msg: ForwardMsg, result: Rerun, digest: hashlib._Hash) -> None:
        delta = msg.delta
        # Where an element goes is part of what the view looks like; so is every block (columns, tabs...).
        digest.update(bytes(str(list(msg.metadata.delta_path)), "ascii"))
        digest.update(delta.SerializeToString(deterministic=True))
        if delta.WhichOneof("type") != "new_element":
            return
        result.elements += 1
        element = delta.new_element
        kind = element.WhichOneof("type")
        if kind == "exception":
            result.exceptions += 1
            exc = element.exception
            # With client.showErrorDetails = "none" the type is empty and the message says it is redacted.
            text = f"{exc.type}: {exc.message}" if exc.type else f"{exc.message[:60]}... (see the server log)"
            result.errors.append(f"exception: {text}")
        elif kind == "heading" and not result.title:
            result.title = element.heading.body

    @staticmethod
    def _check_page(view: View, result: Rerun, navigated: bool) -> None:
        """A rerun of the wrong page is an error: the benchmark would measure something else."""
        if not navigated:
            if view.page:
                result.errors.append(f"app has no st.navigation: path /{view.page} selects nothing")
        elif result.page != view.page and not any(e.startswith("page not found") for e in result.errors):
            result.errors.append(f"ran page /{result.page} instead of /{view.page}")


# ---------------------------------------------------------------------------------------------------------
# Checking the views, and the load itself


async def check_views(server: StreamlitServer, views: list[View], args: argparse.Namespace) -> list[Rerun]:
    """Render each distinct view once in one session; flag views that render exactly like an earlier one."""
    session = await Session.open(server.url, not args.no_browser_cache)
    checks = []
    try:
        for view in dict.fromkeys(views):
            try:
                checks.append(await session.rerun(view, args.timeout))
            except TimeoutError:
                raise RuntimeError(f"view {view.url!r} did not finish within {args.timeout:g} s") from None
    finally:
        await session.close()
    first_with: dict[str, str] = {}
    for check in checks:
        if check.fingerprint in first_with:
            check.warnings.append(f"renders exactly like {first_with[check.fingerprint]!r}")
        first_with.setdefault(check.fingerprint, check.view)
    return checks


async def run_session(
    index: int, session: Session, views: list[View], args: argparse.Namespace, deadline: float | None
) -> list[Rerun]:
    """Rerun views[index], views[index + 1], ... until the count or the deadline is reached."""
    results: list[Rerun] = []
    i = 0
    while i < args.reruns_per_session if deadline is None else time.perf_counter() < deadline:
        view = views[(index + i) % len(views)]
        try:
            rerun = await session.rerun(view, args.timeout)
            rerun.first = i == 0
            results.append(rerun)
        except TimeoutError:
            results.append(Rerun(view=view.url, seconds=float("nan"), errors=[f"timeout after {args.timeout} s"]))
            break  # the stream's state is unknown: this tab is done
        except WebSocketException as exc:
            results.append(Rerun(view=view.url, seconds=float("nan"), errors=[f"connection: {exc!r}"]))
            break
        i += 1
    return results


async def run_load(server: StreamlitServer, views: list[View], args: argparse.Namespace) -> tuple[list[Rerun], float]:
    """All sessions connect first, then start together; returns every rerun and the wall time."""
    sessions = await asyncio.gather(
        *(Session.open(server.url, not args.no_browser_cache) for _ in range(args.sessions))
    )
    t0 = time.perf_counter()
    deadline = t0 + args.duration if args.duration else None
    per_session = await asyncio.gather(*(run_session(i, s, views, args, deadline) for i, s in enumerate(sessions)))
    wall = time.perf_counter() - t0
    await asyncio.gather(*(s.close() for s in sessions), return_exceptions=True)
    return [r for rs in per_session for r in rs], wall


def percentile(values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def summarize(reruns: list[Rerun], wall: float) -> dict:
    done = [r for r in reruns if r.seconds == r.seconds]  # NaN marks a rerun that never finished
    seconds = [r.seconds for r in done]
    errors = [f"{r.view}: {e}" for r in reruns for e in r.errors]
    return {
        "reruns": len(done),
        "wall_s": wall,
        "reruns_per_s": len(done) / wall if wall else 0.0,
        "p50_s": percentile(seconds, 0.50),
        "p95_s": percentile(seconds, 0.95),
        "max_s": max(seconds, default=float("nan")),
        # All sessions load the page at once, and the server shares its time among them: the slowest wave.
        "first_load_p95_s": percentile([r.seconds for r in done if r.first], 0.95),
        "later_p95_s": percentile([r.seconds for r in done if not r.first], 0.95),
        "errors": len(errors),
        "exceptions": sum(r.exceptions for r in reruns),
        "error_samples": sorted(set(errors))[:10],
        "bytes_per_rerun": sum(r.bytes for r in done) / len(done) if done else float("nan"),
    }


async def measure(server: StreamlitServer, views: list[View], args: argparse.Namespace) -> dict:
    memory = MemoryWatch(server)
    checks = await check_views(server, views, args)
    cpu0, driver_cpu0, machine_cpu0 = server.cpu_seconds(), time.process_time(), machine_busy_seconds()
    reruns, wall = await run_load(server, views, args)
    server_cpu, driver_cpu = server.cpu_seconds() - cpu0, time.process_time() - driver_cpu0
    others_cpu = max(0.0, machine_busy_seconds() - machine_cpu0 - server_cpu - driver_cpu)
    peak = await memory.stop()
    result = summarize(reruns, wall)
    result.update(
        peak_rss_mb=peak / 2**20,
        idle_rss_mb=memory.idle / 2**20,
        server_cpu_s=server_cpu,
        server_cpu_ms_per_rerun=1000 * server_cpu / result["reruns"] if result["reruns"] else float("nan"),
        driver_cpu_s=driver_cpu,
        others_cpu_s=others_cpu,
        views=[view_row(check, [r for r in reruns if r.view == check.view]) for check in checks],
    )
    return result


def view_row(check: Rerun, under_load: list[Rerun]) -> dict:
    seconds = [r.seconds for r in under_load if r.seconds == r.seconds]
    row = asdict(check)
    row.update(
        first_run_s=row.pop("seconds"),
        load_reruns=len(seconds),
        load_p50_s=percentile(seconds, 0.5),
        load_p95_s=percentile(seconds, 0.95),
        load_errors=sum(len(r.errors) for r in under_load),
        load_bytes_per_rerun=sum(r.bytes for r in under_load) / len(under_load) if under_load else float("nan"),
    )
    return row


def measure_app(app: Path, views: list[View], args: argparse.Namespace, label: str) -> dict:
    print(f"\n== {label}: {rel(app)}, {args.sessions} sessions, views {' '.join(v.url for v in views)}", file=args.out)
    server = StreamlitServer(app, args.streamlit_flags)
    try:
        server.wait_healthy()
        result = asyncio.run(measure(server, views, args))
    finally:
        server.stop()
    result["server_log_errors"] = traceback_summary(server.log_text())
    Path(server.log.name).unlink(missing_ok=True)
    result.update(app=rel(app), sessions=args.sessions, duration_s=args.duration)
    print_views(result, args.out)
    return result


# ---------------------------------------------------------------------------------------------------------
# Reporting


def traceback_summary(log: str) -> dict[str, int]:
    """The last line of each traceback in the server log, counted: the unredacted exception messages."""
    counts: dict[str, int] = {}
    in_traceback = False
    for line in log.splitlines():
        if line.startswith("Traceback (most recent call last)"):
            in_traceback = True
        elif in_traceback and line and not line.startswith(" "):
            counts[line] = counts.get(line, 0) + 1
            in_traceback = False
    return counts


def rel(path: Path) -> str:
    with contextlib.suppress(ValueError):
        return str(path.relative_to(ROOT))
    return str(path)


def print_views(result: dict, out) -> None:
    print(f"{'view':<36} {'page':<12} {'title':<24} {'elems':>5} {'exc':>3} {'1st run':>8} "
          f"{'load p50':>8} {'load p95':>8}", file=out)  # fmt: skip
    for row in result["views"]:
        page = "-" if row["page"] is None else "/" + row["page"]
        print(f"{row['view'][:36]:<36} {page[:12]:<12} {row['title'][:24]:<24} {row['elements']:>5} "
              f"{row['exceptions']:>3} {secs(row['first_run_s']):>8} {secs(row['load_p50_s']):>8} "
              f"{secs(row['load_p95_s']):>8}", file=out)  # fmt: skip
        for note in row["errors"]:
            print(f"    ERROR {note}", file=out)
        for note in row["warnings"]:
            print(f"    warning: {note}", file=out)


def secs(value: float) -> str:
    return "-" if value != value else f"{value:.2f} s"  # NaN: nothing finished


def sessions_cell(result: dict) -> str:
    if result["duration_s"]:
        return f"{result['sessions']} x {result['duration_s']:g} s ({result['reruns']} reruns)"
    return f"{result['sessions']} x {result['reruns'] / result['sessions']:.4g}"


def verdicts(result: dict) -> dict[str, bool]:
    return {
        "reruns_per_s": result["reruns_per_s"] >= TARGET_RERUNS_PER_S,
        "p95_s": result["p95_s"] < TARGET_P95_S,
        "errors": result["errors"] == 0,
        "peak_rss_mb": result["peak_rss_mb"] < TARGET_PEAK_RSS_MB,
    }


def print_table(results: list[tuple[str, dict]], args: argparse.Namespace) -> None:
    out = args.out
    mark = {True: "ok", False: "MISS"}

    def cell(result: dict, key: str, text: str) -> str:
        return f"{text} {mark[verdicts(result)[key]]}" if key in verdicts(result) else text

    rows = [
        ("sessions x reruns", "", None, sessions_cell),
        ("reruns/s", f">= {TARGET_RERUNS_PER_S:g}", "reruns_per_s", lambda r: f"{r['reruns_per_s']:.1f}"),
        ("rerun p50", "", None, lambda r: secs(r["p50_s"])),
        ("rerun p95", f"< {TARGET_P95_S:g} s", "p95_s", lambda r: secs(r["p95_s"])),
        ("  first loads p95", "", None, lambda r: secs(r["first_load_p95_s"])),
        ("  later reruns p95", "", None, lambda r: secs(r["later_p95_s"])),
        ("errors", "0", "errors", lambda r: f"{r['errors']}"),
        ("  exception elements", "", None, lambda r: f"{r['exceptions']}"),
        ("bytes/rerun", "", None, lambda r: f"{r['bytes_per_rerun'] / 1000:.1f} kB"),
        ("peak server RSS", f"< {TARGET_PEAK_RSS_MB:g} MB", "peak_rss_mb", lambda r: f"{r['peak_rss_mb']:.0f} MB"),
        ("  idle after start", "", None, lambda r: f"{r['idle_rss_mb']:.0f} MB"),
        ("server CPU/rerun", "", None, lambda r: f"{r['server_cpu_ms_per_rerun']:.0f} ms"),
        ("driver CPU", "", None, lambda r: f"{100 * r['driver_cpu_s'] / r['wall_s']:.0f}% of a core"),
        ("other processes' CPU", "", None, lambda r: f"{100 * r['others_cpu_s'] / r['wall_s']:.0f}% of a core"),
    ]
    width = max(26, *(len(label) + 2 for label, _ in results))
    print(f"\n{'':<22}{'target':<12}" + "".join(f"{label:<{width}}" for label, _ in results), file=out)
    for name, target, key, fmt in rows:
        cells = "".join(f"{(cell(r, key, fmt(r)) if key else fmt(r)):<{width}}" for _, r in results)
        print(f"{name:<22}{target:<12}{cells}", file=out)
    notes = []
    if args.sessions != TARGET_SESSIONS:
        notes.append(f"the targets are defined for {TARGET_SESSIONS} sessions; this run had {args.sessions}")
    for label, r in results:
        notes.extend(f"{label}: {sample}" for sample in r["error_samples"])
        notes.extend(f"{label}: server log: {count} x {line}" for line, count in r["server_log_errors"].items())
        if r["others_cpu_s"] > 0.2 * r["wall_s"]:
            notes.append(f"{label}: other processes were busy during the load; the figures are pessimistic")
    for note in notes:
        print(f"note: {note}", file=out)


# ---------------------------------------------------------------------------------------------------------
# Command line


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--app", type=Path, default=DEFAULT_APP, help="the app to load (default: streamlit_app.py)")
    parser.add_argument("--sessions", type=int, default=TARGET_SESSIONS, help="concurrent sessions (default 16)")
    amount = parser.add_mutually_exclusive_group()
    amount.add_argument("--reruns-per-session", type=int, default=10, help="reruns each session asks for (default 10)")
    amount.add_argument("--duration", type=float, help="rerun for this many seconds instead of a fixed count")
    parser.add_argument(
        "--views",
        nargs="+",
        default=["/"],
        help='URLs each session cycles through, e.g. "/" "/?scenario=rosenbrock&seeds=8" "/story".\n'
        "The path picks the st.navigation page by url_path; the query string sets widgets bound with\n"
        'bind="query-params" (a missing param means the default). Default: "/"',
    )
    parser.add_argument("--skip-trivial", action="store_true", help="do not measure benchmarks/trivial_app.py")
    parser.add_argument("--json", metavar="PATH", help='write the results as JSON to PATH ("-": stdout)')
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds a rerun may take (default 120)")
    parser.add_argument("--no-browser-cache", action="store_true", help="do not emulate the browser's message cache")
    parser.add_argument(
        "--set",
        dest="settings",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a streamlit config option for both servers, e.g. --set server.fileWatcherType=none",
    )
    parser.add_argument("--check", action="store_true", help="exit with status 1 if the app misses a target")
    args = parser.parse_args(argv)
    if args.sessions < 1 or args.reruns_per_session < 1:
        parser.error("--sessions and --reruns-per-session must be at least 1")
    args.streamlit_flags = []
    for setting in args.settings:
        key, sep, value = setting.partition("=")
        if not sep:
            parser.error(f"--set wants KEY=VALUE, got {setting!r}")
        args.streamlit_flags += [f"--{key}", value]
    args.app = args.app if args.app.is_absolute() or args.app.exists() else ROOT / args.app
    args.app = args.app.resolve()
    # With the JSON on stdout, the human-readable report goes to stderr.
    args.out = sys.stderr if args.json == "-" else sys.stdout
    return args


def without_nan(value):
    """JSON has no NaN: a figure that could not be measured (nothing finished) becomes null."""
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, dict):
        return {k: without_nan(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [without_nan(v) for v in value]
    return value


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    amount = f"{args.duration:g} s" if args.duration else f"{args.reruns_per_session} reruns"
    header = f"streamlit {streamlit.__version__}, {os.cpu_count()} cores, {args.sessions} sessions x {amount}"
    print(header, file=args.out)
    try:
        results = [(rel(args.app), measure_app(args.app, [View.parse(v) for v in args.views], args, "app"))]
        if not args.skip_trivial:
            results.append(("trivial_app.py (floor)", measure_app(TRIVIAL_APP, [View.parse("/")], args, "floor")))
    except RuntimeError as exc:  # the server did not start, or a view did not render at all
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print_table(results, args)
    if args.json:
        report = {
            "streamlit": streamlit.__version__,
            "cpu_count": os.cpu_count(),
            "sessions": args.sessions,
            "reruns_per_session": None if args.duration else args.reruns_per_session,
            "duration_s": args.duration,
            "browser_cache": not args.no_browser_cache,
            "targets": {
                "reruns_per_s": TARGET_RERUNS_PER_S,
                "p95_s": TARGET_P95_S,
                "errors": 0,
                "peak_rss_mb": TARGET_PEAK_RSS_MB,
                "sessions": TARGET_SESSIONS,
            },
            "results": [dict(r, label=label, meets_targets=verdicts(r)) for label, r in results],
        }
        text = json.dumps(without_nan(report), indent=2, default=str)
        if args.json == "-":
            print(text)
        else:
            Path(args.json).write_text(text + "\n")
    return 1 if args.check and not all(verdicts(results[0][1]).values()) else 0


if __name__ == "__main__":
    sys.exit(main())
