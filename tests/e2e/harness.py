"""Starting the app and a browser the way a person would: shared by the e2e tests and benchmarks/page.py.

``serve()`` runs ``python -m streamlit run streamlit_app.py`` from the repository root on a free port (so
.streamlit/config.toml applies) and yields its URL once ``/_stcore/health`` answers. The browser is
Debian's chromium, driven by Playwright (never ``playwright install``: it downloads a browser).
``TOP_LEVEL_FIELDS`` is a JavaScript function that lists the top-level protobuf field numbers of a
websocket message, so an init script can tell which server messages (``ForwardMsg.script_finished``, …)
arrive and when.
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
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
IDLE = "[data-testid=stApp][data-test-script-state=notRunning]"
START_TIMEOUT = 60.0  # seconds until /_stcore/health answers "ok"

TOP_LEVEL_FIELDS = """(bytes) => {  // the field numbers at the top of a protobuf message
    const fields = [];
    let i = 0;
    const varint = () => { let x = 0, shift = 0, b; do { b = bytes[i++]; x += (b & 0x7f) * 2 ** shift; shift += 7; }
                           while (b & 0x80 && i < bytes.length); return x; };
    while (i < bytes.length) {
      const key = varint(), wire = key % 8;
      fields.push(Math.floor(key / 8));
      if (wire === 0) varint(); else if (wire === 1) i += 8; else if (wire === 2) { const n = varint(); i += n; }
      else if (wire === 5) i += 4; else break;
    }
    return fields;
  }"""


def missing_requirement() -> str | None:
    """Why the browser cannot run here, or None."""
    if not os.path.exists(CHROMIUM):
        return f"e2e tests need Debian's chromium at {CHROMIUM} (apt-get install chromium)"
    if importlib.util.find_spec("playwright") is None:
        return "e2e tests need the playwright Python package (pip install -r requirements-dev.txt)"
    return None


def forward_msg_field(name: str) -> int:
    """The protobuf field number of one kind of server message (``ForwardMsg.<name>``)."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    return ForwardMsg.DESCRIPTOR.fields_by_name[name].number


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def log_tail(path: Path, lines: int = 60) -> str:
    with contextlib.suppress(OSError):
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    return "(no log)"


@dataclass(frozen=True)
class Server:
    url: str
    log: Path

    def log_tail(self, lines: int = 60) -> str:
        return log_tail(self.log, lines)


@contextlib.contextmanager
def serve(app: str = "streamlit_app.py") -> Iterator[Server]:
    """Run the app; yield it once healthy. Raises RuntimeError, with the server's log, if it is not."""
    port = free_port()
    log_path = Path(tempfile.mkdtemp(prefix="descent-lab-")) / "streamlit.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", app, "--server.headless", "true",
             "--browser.gatherUsageStats", "false", "--server.port", str(port), "--server.address", "127.0.0.1"],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"streamlit exited with code {process.returncode} before it was healthy:\n"
                                   f"{log_tail(log_path)}")
            with contextlib.suppress(OSError), urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as r:
                if r.read() == b"ok":
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"streamlit was not healthy after {START_TIMEOUT:.0f} s:\n{log_tail(log_path)}")
            time.sleep(0.2)
        yield Server(url, log_path)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
