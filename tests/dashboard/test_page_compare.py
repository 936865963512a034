"""The Compare page through AppTest: what it draws for every scenario, how widgets and the URL change it.

Most tests use few steps and seeds (``?steps=…&seeds=…``) to stay fast; the assertions do not need more.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1.element_tree import Widget

from dashboard.settings import family_defaults
from scenarios import SCENARIOS

QUICK = {"steps": "40", "seeds": "2"}
DEFAULT_LABELS = ["SGD", "RProp", "RMSProp"]


def the_chart(at):
    charts = at.get("vega_lite_chart")
    assert len(charts) == 1, f"expected the one race chart, found {len(charts)}"
    return charts[0]


def views(spec: dict) -> list[dict]:
    """The leaf views of a concatenated spec, left to right and top to bottom."""
    for key in ("hconcat", "vconcat", "concat"):
        if key in spec:
            return [leaf for part in spec[key] for leaf in views(part)]
    return [spec]


def marks(node) -> set[str]:
    """Every mark type in (a part of) a spec."""
    if isinstance(node, dict):
        mark = node.get("mark")
        own = {mark if isinstance(mark, str) else mark["type"]} if mark else set()
        return own.union(*(marks(v) for k, v in node.items() if k not in ("datasets", "mark")))
    if isinstance(node, list):
        return set().union(*(marks(v) for v in node))
    return set()


def race_frames(page_chart, at) -> dict[str, pd.DataFrame]:
    """The race chart's three run datasets: ``paths``, ``losses`` and ``steps`` (found by their columns)."""
    found = {}
    for name, frame in page_chart.frames(the_chart(at)).items():
        columns = set(frame.columns)
        if {"config", "seed", "step", "x", "y"} <= columns:
            found["paths"] = frame.assign(_name=name)
        elif {"config", "step", "median", "q25", "q75"} <= columns:
            found["losses"] = frame.assign(_name=name)
        elif {"config", "step", "coordinate", "size"} <= columns:
            found["steps"] = frame.assign(_name=name)
    assert set(found) == {"paths", "losses", "steps"}, f"run datasets found: {sorted(found)}"
    return found


def color_domains(node) -> list[list[str]]:
    """Every colour-scale domain of the ``config`` field in a spec."""
    out = []
    if isinstance(node, dict):
        color = node.get("color")
        if isinstance(color, dict) and color.get("field") == "config" and "domain" in color.get("scale", {}):
            out.append(color["scale"]["domain"])
        for key, value in node.items():
            if key != "datasets":
                out += color_domains(value)
    elif isinstance(node, list):
        for value in node:
            out += color_domains(value)
    return out


def summary(at) -> pd.DataFrame:
    assert len(at.dataframe) == 1, "the summary table"
    return at.dataframe[0].value


def rows_of(frame: pd.DataFrame, label: str) -> pd.DataFrame:
    """One configuration's rows, its label as plain text (the categories differ with the configurations)."""
    rows = frame[frame["config"].astype(str) == label].drop(columns="_name").reset_index(drop=True)
    return rows.assign(config=rows["config"].astype(str))


def finite(frame: pd.DataFrame) -> bool:
    return bool(np.isfinite(frame.select_dtypes("number").to_numpy(dtype=float)).all())


# -- every scenario renders ------------------------------------------------------------------------


@pytest.mark.parametrize("key", list(SCENARIOS))
def test_every_scenario_renders_its_race(open_page, page_chart, key):
    at = open_page("compare", {"scenario": key, **QUICK})
    assert not at.exception, [e.value for e in at.exception]
    assert not at.warning, "a valid link must not warn"
    scenario = SCENARIOS[key]
    spec = page_chart.spec(the_chart(at))

    # One concatenated chart: the landscape | (loss over step size).
    assert len(spec["hconcat"]) == 2
    landscape, right = spec["hconcat"]
    assert len(right["vconcat"]) == 2
    leaves = views(spec)
    titles = [v.get("title") for v in leaves]
    assert titles[:2] == [scenario.title, "Loss per step"]
    assert titles[2] == f"Step taken (solid: {scenario.axis_names[0]}, dashed: {scenario.axis_names[1]})"
    assert {"rect", "line", "point"} <= marks(landscape), "heatmap, contours and paths, start and minima"
    assert {"area", "line"} <= marks(leaves[1]), "the loss: median line and 25–75 % band"
    assert "line" in marks(leaves[2])
    # The scenario's suggested SGD learning rate is the widget's default, and no default run diverges.
    assert at.select_slider(key="sgd_lr").value == pytest.approx(family_defaults("SGD", key)["lr"])
    assert not at.error, [e.value for e in at.error]

    frames = race_frames(page_chart, at)
    # Each view draws its own dataset: paths on the landscape, losses and step sizes on the right.
    for view, name in zip(leaves, ("paths", "losses", "steps"), strict=True):
        assert frames[name]["_name"].iloc[0] in page_chart.data_names(view), f"{name} not drawn in its view"
    for name, frame in frames.items():
        assert set(frame["config"].astype(str)) == set(DEFAULT_LABELS), name
        assert finite(frame), f"{key}: {name} holds NaN or inf"

    # Every path starts at the scenario's start point and runs to the last step.
    paths = frames["paths"]
    first = paths[paths["step"] == 0]
    assert len(first) == 3 * 2  # three optimizers × two seeds
    np.testing.assert_allclose(first[["x", "y"]].to_numpy(dtype=float), np.tile(scenario.start, (6, 1)), rtol=1e-6)
    assert paths.groupby(["config", "seed"], observed=True)["step"].max().eq(40).all()
    assert frames["losses"]["step"].max() == 40
    assert color_domains(spec)
    assert all(d == DEFAULT_LABELS for d in color_domains(spec))

    table = summary(at)
    assert table["config"].tolist() == DEFAULT_LABELS
    columns = {"final loss − min", "best loss − min", "steps to reach", "distance to minimum", "diverged"}
    assert columns <= set(table.columns)
    download = at.get("download_button")
    assert len(download) == 1
    assert "CSV" in download[0].proto.label
    assert download[0].proto.deferred_file_id, "the CSV is made on demand"


# -- widgets change the view -----------------------------------------------------------------------


def test_sgd_learning_rate_changes_only_sgds_runs(open_page, page_chart):
    at = open_page("compare", {"steps": "60", "seeds": "2"})
    before = race_frames(page_chart, at)
    at.select_slider(key="sgd_lr").set_value(0.2).run()
    assert not at.exception
    after = race_frames(page_chart, at)
    for name in ("paths", "losses"):
        assert not rows_of(after[name], "SGD").equals(rows_of(before[name], "SGD")), f"SGD's {name} did not change"
        # Common random numbers: the other optimizers see the same batches, so their runs are untouched.
        for label in ("RProp", "RMSProp"):
            pd.testing.assert_frame_equal(rows_of(after[name], label), rows_of(before[name], label))


def test_steps_widget_sets_the_last_step(open_page, page_chart):
    at = open_page("compare", {"steps": "40", "seeds": "2"})
    at.number_input(key="steps").set_value(130).run()
    assert not at.exception
    frames = race_frames(page_chart, at)
    assert frames["losses"]["step"].max() == 130
    assert frames["paths"].groupby(["config", "seed"], observed=True)["step"].max().eq(130).all()


def test_switching_a_family_off_removes_it_everywhere(open_page, page_chart):
    at = open_page("compare", {"steps": "50", "seeds": "2"})
    before = race_frames(page_chart, at)
    at.toggle(key="rprop_on").set_value(False).run()
    assert not at.exception
    spec = page_chart.spec(the_chart(at))
    assert all(d == ["SGD", "RMSProp"] for d in color_domains(spec)), color_domains(spec)
    assert summary(at)["config"].tolist() == ["SGD", "RMSProp"]
    after = race_frames(page_chart, at)
    for name, frame in after.items():
        assert "RProp" not in set(frame["config"].astype(str)), name
        # Removing an optimizer changes no other optimizer's runs.
        for label in ("SGD", "RMSProp"):
            pd.testing.assert_frame_equal(rows_of(frame, label), rows_of(before[name], label))


def test_every_family_off_shows_a_hint_and_no_chart(open_page):
    at = open_page("compare", {**QUICK, "sgd_on": "false", "rprop_on": "false", "rms_on": "false"})
    assert not at.exception
    assert not at.get("vega_lite_chart")
    assert not at.dataframe
    assert any("switch one on" in i.value for i in at.info)


def test_a_second_rmsprop_configuration_gets_its_own_label(open_page, page_chart):
    at = open_page("compare", {"steps": "45", "seeds": "2"})
    at.number_input(key="rms_n").set_value(2).run()
    assert not at.exception
    # The second configuration starts as a copy of the first: numbered, so both labels stay unique.
    assert summary(at)["config"].tolist() == ["SGD", "RProp", "RMSProp", "RMSProp #2"]
    at.slider(key="rms2_beta").set_value(0.9).run()
    assert not at.exception
    labels = ["SGD", "RProp", "RMSProp β=0.99", "RMSProp β=0.9"]
    assert summary(at)["config"].tolist() == labels
    spec = page_chart.spec(the_chart(at))
    assert all(d == labels for d in color_domains(spec))
    frames = race_frames(page_chart, at)
    assert set(frames["paths"]["config"].astype(str)) == set(labels)
    one, two = rows_of(frames["losses"], labels[2]), rows_of(frames["losses"], labels[3])
    assert not one.drop(columns="config").equals(two.drop(columns="config")), "β 0.9 and 0.99 ran the same"


# -- the URL sets the view ---------------------------------------------------------------------------


def test_query_parameters_set_the_view(open_page, page_chart):
    at = open_page("compare", {"scenario": "rosenbrock", "steps": "300", "seeds": "3", "sgd_lr": "0.001"})
    assert not at.exception
    assert not at.warning
    assert at.selectbox(key="scenario").value == "rosenbrock"
    assert at.number_input(key="steps").value == 300
    assert at.number_input(key="seeds").value == 3
    assert at.select_slider(key="sgd_lr").value == pytest.approx(0.001)
    assert SCENARIOS["rosenbrock"].title in at.markdown[0].value

    frames = race_frames(page_chart, at)
    losses, paths = frames["losses"], frames["paths"]
    assert losses.groupby("config", observed=True)["step"].max().eq(300).all()
    assert losses["seeds"].max() == 3
    assert sorted(paths["seed"].unique()) == [0, 1, 2]
    table = summary(at).set_index("config")
    assert table.loc["SGD", "diverged"] == "0/3"
    assert table["reached"].str.endswith("/3").all()
    assert not at.error


def test_a_second_configuration_from_the_url(open_page):
    at = open_page("compare", {**QUICK, "rms_n": "2", "rms2_beta": "0.9", "rms2_lr": "0.002"})
    assert not at.exception
    assert not at.warning
    labels = summary(at)["config"].tolist()
    assert labels[:2] == ["SGD", "RProp"]
    assert len(labels) == 4
    assert labels[2].startswith("RMSProp ")
    assert labels[3].startswith("RMSProp ")
    assert "β=0.9" in labels[3]
    assert "lr=0.002" in labels[3]


# -- scenario switch, reset ------------------------------------------------------------------------------


def start(at) -> tuple[float, float]:
    """The start sliders' values (their session keys are per scenario; the URL keys are x0 and y0)."""
    scenario = at.selectbox(key="scenario").value
    return at.slider(key=f"_x0_{scenario}").value, at.slider(key=f"_y0_{scenario}").value


def test_switching_scenario_brings_its_start_and_suggested_learning_rate(open_page):
    at = open_page("compare", {"steps": "35", "seeds": "2"})
    at.selectbox(key="scenario").set_value("rosenbrock").run()
    assert not at.exception
    assert start(at) == pytest.approx(SCENARIOS["rosenbrock"].start)
    # Rosenbrock suggests a smaller SGD learning rate; an untouched widget takes it.
    assert at.select_slider(key="sgd_lr").value == pytest.approx(0.001)
    at.select_slider(key="sgd_lr").set_value(0.002).run()
    at.selectbox(key="scenario").set_value("bowl").run()
    assert not at.exception
    # A learning rate the user chose is kept.
    assert at.select_slider(key="sgd_lr").value == pytest.approx(0.002)
    assert start(at) == pytest.approx(SCENARIOS["bowl"].start)


@pytest.mark.parametrize("action", ["switch scenario", "reset"])
def test_a_new_scenario_brings_its_start_even_after_a_link_with_a_start(open_page, action):
    at = open_page("compare", {"scenario": "bowl", "x0": "0.5", "y0": "0.25", "steps": "35", "seeds": "2"})
    assert start(at) == pytest.approx((0.5, 0.25))
    if action == "reset":
        next(b for b in at.button if b.label == "Reset to defaults").click().run()
        expected = SCENARIOS["minibatch-trap"].start
    else:
        at.selectbox(key="scenario").set_value("rosenbrock").run()
        expected = SCENARIOS["rosenbrock"].start
    assert not at.exception
    assert start(at) == pytest.approx(expected)
    assert "x0" not in at.query_params
    assert "y0" not in at.query_params


def widget_values(at) -> dict:
    """Every keyed widget in the sidebar and its value."""
    return {w.key: w.value for w in at.sidebar if isinstance(w, Widget) and w.key}


def test_reset_returns_every_widget_to_its_default(open_page):
    defaults = widget_values(open_page("compare"))
    # No start point in this link: see test_a_new_scenario_brings_its_start_even_after_a_link_with_a_start.
    changed = {"scenario": "bowl", "noise": "gaussian", "sigma": "0.5", "steps": "60", "seeds": "2",
               "sgd_lr": "0.1", "sgd_momentum": "0.5", "rprop_on": "false", "rprop_variant": "rprop+",
               "rms_n": "2", "rms2_beta": "0.9"}
    at = open_page("compare", changed)
    assert not at.exception
    assert not at.warning
    before = widget_values(at)
    assert {k: before[k] for k in ("scenario", "steps", "rprop_on", "rms_n")} == {
        "scenario": "bowl", "steps": 60, "rprop_on": False, "rms_n": 2}
    reset = [b for b in at.button if b.label == "Reset to defaults"]
    assert len(reset) == 1
    reset[0].click().run()
    assert not at.exception
    now = widget_values(at)
    assert set(now) == set(defaults), "the same widgets as a fresh page"
    differ = {k: (now[k], defaults[k]) for k in defaults if now[k] != defaults[k]}
    assert not differ, f"not back to their defaults (now, default): {differ}"
    assert summary(at)["config"].tolist() == DEFAULT_LABELS


# -- divergence ------------------------------------------------------------------------------------------

DIVERGING = {"scenario": "rosenbrock", "sgd_lr": "0.1", "steps": "100", "seeds": "2"}


def test_a_diverging_run_is_reported_by_name_and_step_and_drawn_finite(open_page, page_chart):
    # pytest turns numpy's RuntimeWarnings into errors (pyproject.toml): a leaked overflow warning would show
    # here as an exception on the page.
    at = open_page("compare", DIVERGING)
    assert not at.exception, [e.value for e in at.exception]
    table = summary(at).set_index("config")
    assert table.loc["SGD", "diverged"] == "2/2"
    assert table.loc[["RProp", "RMSProp"], "diverged"].eq("0/2").all()
    step = int(table.loc["SGD", "diverged at"])
    assert len(at.error) == 1
    notice = at.error[0].value
    assert notice.startswith("Diverged")
    assert "SGD" in notice
    assert re.search(rf"\bstep {step}\b", notice), notice
    frames = page_chart.frames(the_chart(at))
    for name, frame in frames.items():
        assert finite(frame), f"dataset {name} holds NaN or inf"
    # SGD's path is drawn up to where it left the finite numbers, not beyond.
    paths = race_frames(page_chart, at)["paths"]
    assert 0 < paths.loc[paths["config"].astype(str) == "SGD", "step"].max() <= step


def test_switching_the_noise_on_starts_sigma_at_the_landscape_noise_scale(open_page):
    at = open_page("compare", {"scenario": "bowl", "steps": "30", "seeds": "1"})
    assert at.select_slider(key="sigma").value == 0.0
    at.selectbox(key="noise").set_value("gaussian").run()
    assert not at.exception
    assert at.select_slider(key="sigma").value == SCENARIOS["bowl"].problem.noise_scale
