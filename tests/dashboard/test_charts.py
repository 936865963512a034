"""Chart builders (dashboard/charts.py, dashboard/story_charts.py) from real frames, validated against the
Vega-Lite schema.

This is the one place validation runs: the pages skip it (see dashboard/vega.py). Charts are validated with
their data as named datasets (``{"name": …}``), as the pages send them, so the schema check covers the
structure and the data is checked separately — decoded from the Arrow bytes the pages really send.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from typing import Any

import altair as alt
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from dashboard import charts, compute, frames, landscape, story, story_charts, sweep, vega
from dashboard.settings import FAMILIES, MAX_PER_FAMILY, MAX_SEEDS, MAX_STEPS, CompareSettings, OptimizerConfig
from optimizers import REGISTRY
from scenarios import SCENARIOS, run

ONE_MB = 1_000_000

# -- helpers -------------------------------------------------------------------------------------------


@contextlib.contextmanager
def named_data(payloads: dict[str, bytes]) -> Iterator[None]:
    """Inline DataFrames become named datasets while a chart is converted (no row limit, no JSON values);
    their Arrow bytes, as dashboard.vega makes them, are collected in ``payloads``."""

    def to_named(data: pd.DataFrame) -> dict[str, str]:
        name, payload = vega.arrow(data)
        payloads[name] = payload
        return {"name": name}

    alt.data_transformers.register("tests_named", to_named)
    with alt.data_transformers.enable("tests_named"):
        yield


def validated(chart: alt.TopLevelMixin) -> dict[str, Any]:
    """The chart's spec, validated against the Vega-Lite schema (raises SchemaValidationError if invalid),
    then with its data attached as ``datasets`` of Arrow bytes, as the pages send it (see test_vega.py for
    the equivalence with dashboard.vega.template)."""
    payloads: dict[str, bytes] = {}
    with named_data(payloads):
        spec = chart.to_dict(validate=True)
    spec["datasets"] = payloads
    return spec


def walk(node: Any) -> Iterator[dict]:
    """Every dict in a spec, depth first (datasets left out)."""
    if isinstance(node, dict):
        yield node
        for key, value in node.items():
            if key != "datasets":
                yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


def encodings(node: Any) -> Iterator[dict]:
    for d in walk(node):
        if isinstance(d.get("encoding"), dict):
            yield d["encoding"]


def decoded(spec: dict) -> dict[str, pd.DataFrame]:
    """The datasets the page would send, decoded from their Arrow IPC bytes."""
    return {name: pa.ipc.open_stream(io.BytesIO(payload)).read_all().to_pandas()
            for name, payload in spec.get("datasets", {}).items()}


def assert_clean_data(spec: dict, nullable: frozenset[str] = frozenset()) -> dict[str, pd.DataFrame]:
    """Every dataset referenced exists, and none holds NaN, ±inf or missing numbers (outside ``nullable``)."""
    data = decoded(spec)
    referenced = {d["data"]["name"] for d in walk(spec) if isinstance(d.get("data"), dict) and "name" in d["data"]}
    assert referenced <= set(data), referenced - set(data)
    assert data, "no datasets at all"
    for name, frame in data.items():
        numbers = frame.select_dtypes("number").drop(columns=[c for c in nullable if c in frame], errors="ignore")
        assert np.isfinite(numbers.to_numpy(dtype=float)).all(), f"dataset {name} ({list(frame.columns)})"
        assert not frame.drop(columns=[c for c in nullable if c in frame]).isna().any().any(), name
    return data


def color_scales(spec: dict, field: str = "config") -> list[dict]:
    return [enc["color"].get("scale") for enc in encodings(spec)
            if isinstance(enc.get("color"), dict) and enc["color"].get("field") == field]


# -- Compare page charts, for every scenario ---------------------------------------------------------

CONFIGS = (OptimizerConfig.of("SGD", lr=0.01), OptimizerConfig.of("RProp"), OptimizerConfig.of("RMSProp", beta=0.9),
           OptimizerConfig.of("RMSProp", beta=0.99))


def compare_frames(key: str, configs=CONFIGS, steps: int = 120, seeds: int = 2) -> dict[str, Any]:
    """The frames the Compare page makes, as compute.compare_view makes them."""
    s = CompareSettings(scenario=key, steps=steps, seeds=seeds, configs=configs)
    scenario = s.scenario_object()
    race = run(scenario, {lab: c.build() for lab, c in zip(s.labels, s.configs, strict=True)}, steps=s.steps,
               seeds=s.seeds, start=s.start_point())
    drawn = frames.drawn_steps(len(race.steps), frames.LINE_POINTS)
    return {
        "scenario": scenario, "labels": race.labels, "start": s.start_point(),
        "heatmap": frames.compact(landscape.heatmap_frame(scenario)),
        "contours": frames.compact(landscape.contour_frame(scenario)),
        "paths": frames.compact(frames.path_frame(race, drawn)),
        "losses": frames.compact(frames.loss_frame(race, scenario.min_loss, drawn)),
        "steps": frames.compact(frames.step_frame(race, drawn, scenario.axis_names)),
    }


def build_race_chart(f: dict[str, Any]) -> alt.HConcatChart:
    return charts.race_chart(f["scenario"], f["heatmap"], f["contours"], f["paths"], f["losses"], f["steps"],
                             f["start"], f["labels"])


@pytest.fixture(scope="module")
def race_charts() -> dict[str, tuple[dict, dict]]:
    """Per scenario: (its frames, the validated spec with its datasets)."""
    out = {}
    for key in SCENARIOS:
        f = compare_frames(key)
        out[key] = (f, validated(build_race_chart(f)))
    return out


def test_schema_validation_is_really_on():
    chart = alt.Chart(pd.DataFrame({"a": [1.0]})).mark_point().encode(x="a:Q")
    validated(chart)
    chart.mark = {"type": "nonsense"}  # slipped past the constructors' own checks
    with pytest.raises(alt.utils.schemapi.SchemaValidationError, match="nonsense"):
        validated(chart)


@pytest.mark.parametrize("key", list(SCENARIOS))
def test_landscape_is_a_rect_heatmap_with_log_colour_exactly_where_needed(race_charts, key):
    f, spec = race_charts[key]
    left = spec["hconcat"][0]
    rects = [d for d in walk(left) if isinstance(d.get("mark"), dict) and d["mark"]["type"] == "rect"]
    assert len(rects) == 1
    enc = rects[0]["encoding"]
    assert {enc[c]["field"] for c in ("x", "x2", "y", "y2")} == {"x", "x2", "y", "y2"}
    assert enc["color"]["field"] == "gap"
    assert enc["color"]["scale"]["type"] == ("log" if f["scenario"].log_color else "linear")
    (x0, x1), (y0, y1) = f["scenario"].bounds
    assert enc["x"]["scale"]["domain"] == [x0, x1]
    assert enc["y"]["scale"]["domain"] == [y0, y1]
    assert (enc["x"]["title"], enc["y"]["title"]) == f["scenario"].axis_names
    assert left["title"] == f["scenario"].title


@pytest.mark.parametrize("key", list(SCENARIOS))
def test_race_chart_datasets_hold_only_finite_numbers(race_charts, key):
    _, spec = race_charts[key]
    data = assert_clean_data(spec)
    if SCENARIOS[key].log_color:
        heat = next(d for d in data.values() if list(d.columns) == ["x", "x2", "y", "y2", "gap"])
        assert (heat["gap"] > 0).all()  # a log colour scale cannot show 0


def test_paths_are_drawn_in_step_order_one_line_per_seed(race_charts):
    _, spec = race_charts["rosenbrock"]
    lines = [d for d in walk(spec["hconcat"][0]) if isinstance(d.get("mark"), dict)
             and d["mark"]["type"] == "line" and d["encoding"].get("color", {}).get("field") == "config"]
    assert len(lines) == 1
    enc = lines[0]["encoding"]
    assert enc["order"] == {"field": "step", "type": "quantitative"}
    assert enc["detail"] == {"field": "seed", "type": "nominal"}


def test_loss_and_step_axes_are_log_and_capped(race_charts):
    f, spec = race_charts["rosenbrock"]
    loss, steps = spec["hconcat"][1]["vconcat"]
    assert loss["title"] == "Loss per step"
    assert steps["title"].startswith("Step taken (solid: ")
    scenario = f["scenario"]
    start_gap = float(scenario.loss(np.asarray(f["start"])) - scenario.min_loss)
    (x0, x1), (y0, y1) = scenario.bounds
    for part, field, top in ((loss, "median", 1e3 * start_gap), (steps, "size", np.hypot(x1 - x0, y1 - y0))):
        scales = [enc["y"]["scale"] for enc in encodings(part) if "scale" in enc.get("y", {})]
        assert scales, part["title"]
        for scale in scales:
            assert scale["type"] == "log"
            assert "domainMax" not in scale  # the axis fits the data drawn …
        # … and what lies above the cap is not drawn
        filters = [t["filter"] for layer in part["layer"] for t in layer.get("transform", []) if "filter" in t]
        assert any(isinstance(f, str) and f.endswith(f"<= {float(top)!r}") for f in filters), filters
        assert any(enc.get("y", {}).get("field") == field for enc in encodings(part))


def test_one_colour_per_configuration_in_every_subchart(race_charts):
    f, spec = race_charts["minibatch-trap"]
    labels = list(f["labels"])
    assert labels == ["SGD", "RProp", "RMSProp β=0.9", "RMSProp β=0.99"]
    scales = color_scales(spec)
    assert len(scales) >= 6  # paths, end points, hovered points, loss band and line, step sizes …
    # each optimizer's own hue, its second configuration the family's second hue
    expected = {"domain": labels, "range": ["#D55E00", "#0072B2", "#CC79A7", "#000000"]}
    assert all(scale == expected for scale in scales)
    for part in (spec["hconcat"][0], *spec["hconcat"][1]["vconcat"]):
        assert color_scales(part), "a sub-chart without the configuration colours"


def test_hover_selection_marks_the_landscape(race_charts):
    _, spec = race_charts["bowl"]
    params = [p for p in spec.get("params", []) if p["name"] == "hover"]
    assert len(params) == 1
    select = params[0]["select"]
    assert select["type"] == "point"
    assert select["fields"] == ["step"]
    assert select["nearest"] is True
    # the pointer is caught on the loss chart …
    loss = spec["hconcat"][1]["vconcat"][0]
    catcher_views = {d["name"] for d in walk(loss) if "name" in d and isinstance(d.get("mark"), dict)}
    assert set(params[0]["views"]) & catcher_views
    # … and the landscape shows the paths' points at the hovered step
    left = spec["hconcat"][0]
    filtered = [d for d in walk(left) if any(t.get("filter", {}) == {"param": "hover", "empty": False}
                                             for t in d.get("transform", []) if isinstance(t.get("filter"), dict))]
    assert len(filtered) == 1
    path = next(d for d in walk(left) if isinstance(d.get("mark"), dict) and d["mark"]["type"] == "line"
                and d["encoding"].get("order", {}).get("field") == "step")
    assert filtered[0]["data"] == path["data"]  # the same path points, filtered by the hovered step
    assert filtered[0]["mark"]["type"] == "point"


def test_side_charts_validate_alone_with_and_without_hover():
    f = compare_frames("saddle")
    for hover in (None, charts.hover_selection()):
        for chart in (charts.loss_chart(f["losses"], f["labels"], hover),
                      charts.loss_chart(f["losses"], f["labels"], hover, top=10.0),
                      charts.step_size_chart(f["steps"], f["labels"], hover, top=2.0, coordinates=("x", "y"))):
            spec = validated(chart)
            assert any(p.get("name") == "hover" for p in spec.get("params", [])) == (hover is not None)


def test_standalone_landscape_validates_without_hover():
    f = compare_frames("ravine")
    chart = charts.standalone(charts.landscape_chart(f["scenario"], f["heatmap"], f["contours"], f["paths"],
                                                     f["start"], f["labels"], size=300))
    spec = validated(chart)
    assert spec["autosize"] == {"type": "pad", "contains": "padding"}
    assert spec["width"] == spec["height"] == 300
    assert "params" not in spec
    assert not [t for d in walk(spec) for t in d.get("transform", []) if isinstance(t.get("filter"), dict)]
    assert_clean_data(spec)


def test_compare_chart_data_stays_under_1mb_at_the_largest_settings():
    # The heaviest landscape (most contour points) with the most runs the page allows.
    def landscape_bytes(key: str) -> int:
        return sum(len(vega.arrow(frames.compact(make(SCENARIOS[key])))[1])
                   for make in (landscape.heatmap_frame, landscape.contour_frame))

    key = max(SCENARIOS, key=landscape_bytes)
    configs = (*(OptimizerConfig.of("SGD", lr=lr) for lr in (1e-4, 2e-4, 5e-4)),
               *(OptimizerConfig.of("RProp", variant=v) for v in ("irprop-", "rprop+", "irprop+")),
               *(OptimizerConfig.of("RMSProp", beta=b) for b in (0.9, 0.99, 0.999)))
    assert len(configs) == len(FAMILIES) * MAX_PER_FAMILY
    settings = CompareSettings(scenario=key, steps=MAX_STEPS, seeds=MAX_SEEDS, configs=configs)
    view = compute.compare_view.__wrapped__(settings)
    sizes = {name: len(payload) for name, payload in view.chart["datasets"].items()}
    assert sum(sizes.values()) < ONE_MB, sizes
    data = assert_clean_data(view.chart)
    paths = next(d for d in data.values() if list(d.columns) == ["config", "seed", "step", "x", "y"])
    assert len(paths) <= max(frames.PATH_POINTS, 20 * len(configs) * MAX_SEEDS)
    assert paths["step"].max() == MAX_STEPS


# -- Sweep page ------------------------------------------------------------------------------------------


def sweep_chart_of(s: sweep.SweepSettings, families=FAMILIES) -> tuple[alt.HConcatChart, pd.DataFrame]:
    cells = pd.concat([sweep.run_family(s, f) for f in families], ignore_index=True)
    best = sweep.best_rows(cells)
    axes = dict(s.axes)
    log_axes = {axes[f] for f in families if REGISTRY[f].declaration(axes[f]).log}
    return charts.sweep_chart(cells, best, axes, sweep.NEAR_ONE, log_axes), cells


@pytest.fixture(scope="module")
def sweep_view() -> tuple[alt.HConcatChart, pd.DataFrame]:
    s = sweep.SweepSettings(grid=10, seeds=4, steps=120,
                            axes=(("SGD", "momentum"), ("RProp", "eta_minus"), ("RMSProp", "eps")))
    chart, cells = sweep_chart_of(s)
    assert cells["score"].isna().any(), "precondition: some cells diverge"
    assert cells["score"].notna().any(), "precondition: some cells do not"
    return chart, cells


def test_sweep_chart_validates_and_shares_one_colour_domain(sweep_view):
    chart, cells = sweep_view
    spec = validated(chart)
    assert len(spec["hconcat"]) == 3
    finite = cells["score"].dropna()
    domains = [enc["color"]["scale"] for enc in encodings(spec)
               if isinstance(enc.get("color"), dict) and enc["color"].get("field") == "score"]
    assert len(domains) == 3
    # from the best score to the 90th percentile, clamped: a few blown-up cells must not wash out the rest
    for scale in domains:
        assert scale["type"] == "log"
        assert scale["clamp"] is True
        assert scale["domain"] == [finite.min(), pytest.approx(np.quantile(finite, 0.9))]
    legends = [enc["color"].get("legend") for enc in encodings(spec)
               if isinstance(enc.get("color"), dict) and enc["color"].get("field") == "score"]
    assert sum(legend is not None for legend in legends) == 1  # one legend serves all three


def test_sweep_chart_sends_missing_scores_only_for_diverged_cells(sweep_view):
    chart, cells = sweep_view
    data = assert_clean_data(validated(chart), nullable=frozenset({"score"}))
    grids = [d for d in data.values() if "status" in d.columns]
    assert len(grids) == 3
    assert sum(int(d["score"].isna().sum()) for d in grids) == int(cells["score"].isna().sum())
    for d in grids:
        assert set(d.loc[d["score"].isna(), "status"]) <= {"diverged"}
        assert not np.isinf(d["score"]).any()


@pytest.mark.parametrize(("near_one", "log_y", "values"), [
    (True, False, (0.0, 0.5, 0.9, 0.99, 0.999)),
    (False, True, (1e-12, 1e-8, 1e-4, 1.0)),
    (False, False, (0.01, 0.5, 0.99)),
    (False, False, (0.3,)),  # a single value: the cell still has a height
])
def test_sweep_cells_tile_the_grid(near_one, log_y, values):
    lrs = (1e-3, 1e-2, 1e-1)
    cells = pd.DataFrame([{"lr": lr, "value": v, "score": 1.0, "diverged_seeds": 0, "seeds": 4}
                          for v in values for lr in lrs])
    out, x_domain, y_domain = charts.sweep_cells(cells, near_one, log_y)
    y_of = (1.0 - out["value"]) if near_one else out["value"]
    assert ((out["x"] < out["lr"]) & (out["lr"] < out["x2"])).all()
    assert ((out["y"] < y_of) & (y_of < out["y2"])).all()
    for lower, upper in (("x", "x2"), ("y", "y2")):
        edges = out[[lower, upper]].drop_duplicates().sort_values(lower).to_numpy()
        assert (edges[1:, 0] <= edges[:-1, 1]).all()  # each cell reaches into the next: no seams
    assert x_domain[0] == out["x"].min()
    assert x_domain[1] <= out["x2"].max()
    assert y_domain[0] == out["y"].min()
    assert y_domain[1] <= out["y2"].max()
    if near_one or log_y:
        assert y_domain[0] > 0  # a log axis


def test_sweep_chart_with_every_cell_diverged_still_validates():
    s = sweep.SweepSettings(grid=10, seeds=2, steps=60, lr_min=0.5, lr_max=1.0)
    chart, cells = sweep_chart_of(s, families=("SGD",))
    assert cells["score"].isna().all(), "precondition: SGD at lr ≥ 0.5 diverges on noisy Rosenbrock"
    spec = validated(chart)
    domain = next(enc["color"]["scale"]["domain"] for enc in encodings(spec)
                  if isinstance(enc.get("color"), dict) and enc["color"].get("field") == "score")
    assert domain == [1e-16, 1.0]
    assert_clean_data(spec, nullable=frozenset({"score"}))


# -- Story page ------------------------------------------------------------------------------------------


def tutorial_landscape() -> alt.TopLevelMixin:
    race = story.tutorial_run()
    bowl = SCENARIOS["bowl"]
    return charts.standalone(charts.landscape_chart(
        bowl, frames.compact(landscape.heatmap_frame(bowl)), frames.compact(landscape.contour_frame(bowl)),
        frames.path_frame(race), story.TUTORIAL_START, race.labels, size=300))


def ravine_landscape() -> alt.TopLevelMixin:
    race = story.ravine_damping(steps=80)
    ravine = SCENARIOS["ravine"]
    return charts.standalone(charts.landscape_chart(
        ravine, frames.compact(landscape.heatmap_frame(ravine)), frames.compact(landscape.contour_frame(ravine)),
        frames.path_frame(race), ravine.start, race.labels, size=300))


def drift() -> alt.TopLevelMixin:
    race = story.trap_race(story.TrapSettings(steps=400, seeds=2))
    return story_charts.drift_chart(story.epoch_positions(race), race.labels, -0.9 / 9)


def dial() -> alt.TopLevelMixin:
    return story_charts.beta_dial_chart(story.beta_dial(steps=300, seeds=2), ("SGD", "RProp", "RMSProp"))


STORY_CHARTS = {
    "clean signal": lambda: story_charts.clean_signal_chart(story.clean_signal()),
    "batch gradients": lambda: story_charts.batch_gradient_chart(story.batch_gradients()),
    "drift": drift,
    "beta dial": dial,
    "tutorial landscape": tutorial_landscape,
    "ravine landscape": ravine_landscape,
}


@pytest.mark.parametrize("name", list(STORY_CHARTS))
def test_story_chart_validates_with_finite_data(name):
    chart = STORY_CHARTS[name]()
    spec = validated(chart)
    assert spec["autosize"] == {"type": "pad", "contains": "padding"}
    assert_clean_data(spec)


def test_story_charts_colour_each_optimizer_as_the_compare_page_does():
    expected = {"domain": ["SGD", "RProp", "RMSProp"], "range": charts.colors(["SGD", "RProp", "RMSProp"])}
    for chart in (drift(), dial()):
        scales = color_scales(validated(chart))
        assert scales
        assert all(scale == expected for scale in scales)


def test_clean_signal_chart_shows_step_sizes_on_a_log_axis_without_the_zero_steps():
    spec = validated(story_charts.clean_signal_chart(story.clean_signal()))
    sizes = spec["hconcat"][1]
    assert sizes["encoding"]["y"]["field"] == "step_size"
    assert sizes["encoding"]["y"]["scale"]["type"] == "log"
    assert {"filter": "datum.step_size > 0"} in sizes["transform"]


def test_drift_chart_draws_both_reference_lines():
    data = assert_clean_data(validated(drift()))
    marks = next(d for d in data.values() if "what" in d.columns)
    assert sorted(marks["y"]) == pytest.approx([-0.1, 0.0])


def test_one_blown_up_cell_does_not_wash_out_the_sweep_colours():
    scores = np.r_[np.linspace(0.1, 10.0, 99), 1.04e274]
    lo, hi = charts.score_domain(scores)
    assert lo == pytest.approx(0.1)
    assert hi < 20  # the outlier takes the top colour; the rest keep their range
    assert charts.score_domain(np.array([np.nan, np.nan])) == (1e-16, 1.0)


def test_a_configuration_keeps_its_colour_whatever_runs_beside_it():
    alone = dict(zip(["RProp", "RMSProp"], charts.colors(["RProp", "RMSProp"]), strict=True))
    crowded = dict(zip(["SGD", "SGD #2", "RProp", "RMSProp"], charts.colors(["SGD", "SGD #2", "RProp", "RMSProp"]),
                       strict=True))
    assert crowded["RProp"] == alone["RProp"]
    assert crowded["RMSProp"] == alone["RMSProp"]
    assert len(set(crowded.values())) == 4
