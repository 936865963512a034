"""dashboard/vega.py: a chart's structure built once with placeholders, its data attached later as Arrow bytes.

The oracle is the chart built the plain way, with its DataFrames inline: ``fill(template(placeholders), data)``
must send exactly what ``template(chart with data)`` sends.
"""

from __future__ import annotations

import copy
import hashlib
import io
import re
from typing import Any

import altair as alt
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from dashboard import charts, frames, landscape, vega
from optimizers import SGD, RMSProp, RProp
from scenarios import SCENARIOS, run

NAMES = ("heatmap", "contours", "paths", "losses", "steps")


def decode(payload: bytes) -> pd.DataFrame:
    return pa.ipc.open_stream(io.BytesIO(payload)).read_all().to_pandas()


def without_view_names(spec: Any) -> Any:
    """Altair numbers the views it names (``view_<hash>_<n>``) per process; the names carry no content."""
    text = repr(spec)
    return re.sub(r"view_[0-9a-f]+_\d+", "view", text)


@pytest.fixture(scope="module")
def data() -> dict[str, pd.DataFrame]:
    scenario = SCENARIOS["himmelblau"]
    race = run(scenario, {"SGD": SGD(lr=0.01), "RProp": RProp(), "RMSProp": RMSProp(lr=0.05)}, steps=150, seeds=3)
    drawn = frames.drawn_steps(len(race.steps), 100)
    return {
        "heatmap": frames.compact(landscape.heatmap_frame(scenario)),
        "contours": frames.compact(landscape.contour_frame(scenario)),
        "paths": frames.compact(frames.path_frame(race, drawn)),
        "losses": frames.compact(frames.loss_frame(race, scenario.min_loss, drawn)),
        "steps": frames.compact(frames.step_frame(race, drawn)),
    }


def race_chart(parts) -> alt.HConcatChart:
    scenario = SCENARIOS["himmelblau"]
    return charts.race_chart(scenario, *parts, scenario.start, ("SGD", "RProp", "RMSProp"))


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return vega.template(race_chart([vega.placeholder(n) for n in NAMES]))


def test_fill_sends_the_same_data_as_the_chart_built_with_it(template, data):
    filled = vega.fill(template, data)
    inline = vega.template(race_chart([data[n] for n in NAMES]))
    assert filled["datasets"].keys() == inline["datasets"].keys()
    for name, payload in inline["datasets"].items():
        pd.testing.assert_frame_equal(decode(filled["datasets"][name]), decode(payload))
        assert filled["datasets"][name] == payload
    assert without_view_names({k: v for k, v in filled.items() if k != "datasets"}) == without_view_names(
        {k: v for k, v in inline.items() if k != "datasets"})


def test_fill_points_every_placeholder_at_its_data(template, data):
    filled = vega.fill(template, data)
    referenced = set(re.findall(r"'name': '(data-[0-9a-f]{32})'", repr({k: v for k, v in filled.items()
                                                                          if k != "datasets"})))
    assert referenced == set(filled["datasets"])
    assert not any(f"'name': '{n}'" in repr(filled) for n in NAMES)  # no placeholder left
    for name in NAMES:
        assert vega.arrow(data[name])[0] in filled["datasets"]
        pd.testing.assert_frame_equal(decode(filled["datasets"][vega.arrow(data[name])[0]]), data[name])


def test_fill_accepts_prepared_arrow_as_well_as_frames(template, data):
    prepared = {key: vega.arrow(frame) for key, frame in data.items()}
    assert vega.fill(template, prepared) == vega.fill(template, data)


def test_fill_does_not_change_the_template(template, data):
    before = copy.deepcopy(template)
    first = vega.fill(template, data)
    other = {**data, "paths": data["paths"].iloc[::2].reset_index(drop=True)}
    second = vega.fill(template, other)
    assert template == before
    assert first != second
    assert vega.arrow(data["paths"])[0] in first["datasets"]
    assert vega.arrow(data["paths"])[0] not in second["datasets"]  # nothing leaks from one fill to the next


def test_template_holds_only_the_fixed_data(template):
    # minima and the start point are part of the structure; the placeholders are not datasets yet
    frames_in_template = [decode(p) for p in template.get("datasets", {}).values()]
    assert sorted(tuple(f.columns) for f in frames_in_template) == [("x", "y"), ("x", "y")]
    assert not set(NAMES) & set(template.get("datasets", {}))


@pytest.mark.parametrize("frame", [
    pd.DataFrame({"x": [1.0, 2.0], "config": pd.Categorical(["a", "b"])}),
    pd.DataFrame({"step": np.arange(5, dtype=np.int16), "size": np.linspace(0, 1, 5, dtype=np.float32)}),
])
def test_dataset_names_are_content_hashes(frame):
    name, payload = vega.arrow(frame)
    assert name == "data-" + hashlib.sha256(payload).hexdigest()[:32]
    assert vega.arrow(frame.copy())[0] == name  # same content, same name
    changed = frame.copy()
    changed.iloc[0, 0] = changed.iloc[1, 0]
    assert vega.arrow(changed)[0] != name  # one value changed, another name
    assert vega.arrow(frame.iloc[:1])[0] != name


def test_template_restores_altairs_global_settings():
    before = (alt.data_transformers.active, alt.theme.active)
    vega.template(alt.Chart(pd.DataFrame({"a": [1.0]})).mark_point().encode(x="a:Q"))
    assert (alt.data_transformers.active, alt.theme.active) == before
