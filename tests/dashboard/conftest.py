"""Fixtures for the page tests (``test_page_*.py``): open a page in a fresh AppTest session, read its charts.

A fresh session that lands on a page with a query string is what opening a share link does. The Compare page
is opened through the real entry point (``streamlit_app.py``, whose default page it is); the Story and Sweep
pages are opened from their own files, because an AppTest session always starts on the default page and, once
there, switching pages does not hand the new page the test's query string (the shared keys — ``scenario``,
``steps``, ``seeds`` — keep Compare's widget state instead). Navigation itself is covered by a smoke test.
"""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
# A page run on its own puts only its own folder on sys.path; it imports `dashboard` from the repository root.
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

ENTRY = ROOT / "streamlit_app.py"
PAGE_FILES = {
    "compare": ENTRY,
    "story": ROOT / "dashboard" / "pages" / "story.py",
    "sweep": ROOT / "dashboard" / "pages" / "sweep.py",
}
#: Seconds one script run may take: the machine is a slow shared 2-core box.
TIMEOUT = 120


def open_app(page: str = "compare", query: dict[str, Any] | None = None) -> AppTest:
    """A new session on ``page`` with ``query`` as its URL's query string, after its first run.

    A list value repeats the key (``{"steps": ["50", "70"]}`` is ``?steps=50&steps=70``)."""
    at = AppTest.from_file(str(PAGE_FILES[page]), default_timeout=TIMEOUT)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    return at.run()


def chart_spec(element: Any) -> dict:
    """The Vega-Lite spec of a ``st.vega_lite_chart`` element."""
    return json.loads(element.proto.spec)


def chart_frames(element: Any) -> dict[str, pd.DataFrame]:
    """The datasets of a ``st.vega_lite_chart`` element, by name, decoded from their Arrow IPC bytes."""
    return {ds.name: pa.ipc.open_stream(io.BytesIO(ds.data.data)).read_all().to_pandas()
            for ds in element.proto.datasets}


def data_names(node: Any) -> set[str]:
    """Every dataset name a (part of a) spec refers to."""
    if isinstance(node, dict):
        names = {node["data"]["name"]} if isinstance(node.get("data"), dict) and "name" in node["data"] else set()
        return names.union(*(data_names(v) for k, v in node.items() if k != "datasets"))
    if isinstance(node, list):
        return set().union(*(data_names(v) for v in node))
    return set()


def elements(at: AppTest) -> Iterator[Any]:
    """Every element on the page, main area and sidebar."""
    yield from at.main
    yield from at.sidebar


@pytest.fixture
def open_page() -> Callable[..., AppTest]:
    """``open_page("sweep", {"grid": "10"})``: a fresh session on a page, after its first run."""
    return open_app


@pytest.fixture
def page_chart() -> Any:
    """Helpers to read a page's charts: ``.spec(el)``, ``.frames(el)``, ``.data_names(part_of_spec)``."""

    class PageChart:
        spec = staticmethod(chart_spec)
        frames = staticmethod(chart_frames)
        data_names = staticmethod(data_names)
        elements = staticmethod(elements)

    return PageChart
