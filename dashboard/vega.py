"""Turn Altair charts into the Vega-Lite specs Streamlit sends — once, so that reruns redo no work.

``st.altair_chart`` converts its chart on every rerun: Altair builds and validates the spec and every
DataFrame is converted to Arrow. For an unchanged view that is wasted work on the server's hot path, and
even for a changed one, building Altair objects costs more than the data they carry. So the pages:

* build a chart's *structure* once, with named placeholders for its data (:func:`template`, cached on
  what shapes the chart: scenario, labels, start);
* attach the data as Arrow IPC bytes under content-hash names, the way Streamlit names datasets
  (:func:`fill`, cached on the settings);
* draw the result with ``st.vega_lite_chart``, which passes such bytes through untouched.

Schema validation is skipped here (it costs more than the rest of a redraw); the tests validate every
chart builder's output against the Vega-Lite schema instead.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Mapping
from typing import Any

import altair as alt
import pandas as pd
from streamlit import dataframe_util

# Altair's data transformer and theme are process-wide settings: convert one chart at a time.
_LOCK = threading.Lock()


def placeholder(name: str) -> alt.NamedData:
    """Stands for a dataset in a :func:`template`; :func:`fill` supplies it."""
    return alt.NamedData(name=name)


def arrow(frame: pd.DataFrame) -> tuple[str, bytes]:
    """A DataFrame as Arrow IPC bytes, named by their content hash (as Streamlit names datasets)."""
    payload = dataframe_util.convert_anything_to_arrow_bytes(frame)
    return "data-" + hashlib.sha256(payload).hexdigest()[:32], payload


def template(chart: alt.TopLevelMixin) -> dict[str, Any]:
    """The chart's Vega-Lite spec (unvalidated), ready for ``st.vega_lite_chart``: inline DataFrames become
    Arrow datasets, and :func:`placeholder` data stays named for :func:`fill`."""
    datasets: dict[str, bytes] = {}

    def to_arrow(data: pd.DataFrame) -> dict[str, str]:
        name, payload = arrow(data)
        datasets[name] = payload
        return {"name": name}

    with _LOCK:  # registering and using the transformer must not interleave with another thread's
        alt.data_transformers.register("descent_lab_arrow", to_arrow)
        with alt.theme.enable("none"), alt.data_transformers.enable("descent_lab_arrow"):
            spec = chart.to_dict(validate=False)
    if datasets:
        spec["datasets"] = {**spec.get("datasets", {}), **datasets}
    return spec


def fill(spec: dict[str, Any], data: Mapping[str, pd.DataFrame | tuple[str, bytes]]) -> dict[str, Any]:
    """A copy of a template with each placeholder's data attached (a DataFrame, or ``arrow()`` of one)."""
    named = {key: value if isinstance(value, tuple) else arrow(value) for key, value in data.items()}
    renamed = _rename(spec, {key: name for key, (name, _) in named.items()})
    renamed["datasets"] = {**spec.get("datasets", {}), **{name: payload for name, payload in named.values()}}
    return renamed


def _rename(node: Any, names: Mapping[str, str]) -> Any:
    """Copy of a spec with every ``{"data": {"name": placeholder}}`` pointing at its dataset's name."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "data" and isinstance(value, dict) and value.get("name") in names:
                out[key] = {**value, "name": names[value["name"]]}
            elif key == "datasets":
                out[key] = value
            else:
                out[key] = _rename(value, names)
        return out
    if isinstance(node, list):
        return [_rename(v, names) for v in node]
    return node
