"""The RProp → RMSProp story page through AppTest: its six charts, the tutorial's table, and its dials.

Oracles: the corrected iteration table and the settled positions in the seed's NOTES.md, closed forms for
RMSProp's first step and RProp's step growth, and the trap's batch gradients (nine of pull/9, one of −pull).
"""

from __future__ import annotations

import math
import re

import pandas as pd
import pytest

from dashboard.story import TUTORIAL_START
from scenarios import SCENARIOS

QUICK = {"steps": "200", "seeds": "2"}
TITLES = {
    "clean": "Its step size",
    "bars": "Ten batch gradients, summing to 0",
    "drift": "Where each optimizer drifts, epoch by epoch",
    "dial": "The β dial: from sign descent to averaged SGD",
    "bowl": SCENARIOS["bowl"].title,
    "ravine": SCENARIOS["ravine"].title,
}
NUMBER = r"-?\d+\.\d+(?:e[-+]?\d+)?"
#: The table prints 8 decimals; NOTES.md sometimes rounds the last one the other way (0.23417693 vs …94).
EIGHTH = 1.1e-8


def titles(node) -> set[str]:
    """Every title in a spec (of the chart and of its parts)."""
    out = set()
    if isinstance(node, dict):
        if isinstance(node.get("title"), str):
            out.add(node["title"])
        for key, value in node.items():
            if key != "datasets":
                out |= titles(value)
    elif isinstance(node, list):
        for value in node:
            out |= titles(value)
    return out


def story_chart(at, page_chart, name: str):
    found = [c for c in at.get("vega_lite_chart") if TITLES[name] in titles(page_chart.spec(c))]
    assert len(found) == 1, f"the {name} chart"
    return found[0]


def frame_with(at, page_chart, name: str, *columns: str) -> pd.DataFrame:
    """The dataset of chart ``name`` that has these columns."""
    chart = story_chart(at, page_chart, name)
    frames = [f for f in page_chart.frames(chart).values() if set(columns) <= set(f.columns)]
    assert len(frames) == 1, f"{name}: one dataset with {columns}"
    return frames[0]


def table_rows(at) -> list[tuple[float, float, float]]:
    """The tutorial's iteration table (the st.code block that prints it), as (x, y, f) per iteration."""
    blocks = [c.value for c in at.code if c.value.startswith("iteration: 0")]
    assert len(blocks) == 1, "the iteration table"
    rows = []
    for n, line in enumerate(blocks[0].splitlines()):
        assert line.startswith(f"iteration: {n} "), line
        x, y, f = (float(v) for v in re.findall(NUMBER, line))
        rows.append((x, y, f))
    return rows


def settled(at) -> pd.DataFrame:
    assert len(at.dataframe) == 1, "the settled-positions table"
    return at.dataframe[0].value.set_index("config")


def first_rmsprop_point(lr: float, beta: float) -> tuple[float, float]:
    """RMSProp's first iterate on x² + y² from the tutorial's start: v = (1 − β)g², step lr·g / (√v + ε)."""
    out = []
    for w in TUTORIAL_START:
        g = 2.0 * w
        out.append(w - lr * g / (math.sqrt((1.0 - beta) * g * g) + 1e-8))
    return out[0], out[1]


def test_the_story_renders_with_the_notes_numbers(open_page, page_chart):
    at = open_page("story")
    assert not at.exception, [e.value for e in at.exception]
    assert not at.warning
    assert len(at.get("vega_lite_chart")) == 6
    for name in TITLES:
        story_chart(at, page_chart, name)
    assert len(at.get("latex")) >= 1, "RMSProp's equations"

    # NOTES.md: the corrected iterations 0, 1, 2 and 49 of the tutorial's run.
    rows = table_rows(at)
    assert len(rows) == 50
    assert rows[0] == pytest.approx((-0.06595602, 0.340649, 0.12039), abs=EIGHTH)
    assert rows[1] == pytest.approx((-0.02886236, 0.27929536, 0.07884), abs=EIGHTH)
    assert rows[2] == pytest.approx((-0.01276125, 0.23417693, 0.05500), abs=EIGHTH)
    assert abs(rows[49][0]) < 1e-20
    assert rows[49][1] == pytest.approx(1.2502e-04, rel=1e-4)

    # NOTES.md: after 2,000 steps RProp sits at the batches' median (−0.1), SGD near 0, RMSProp (β 0.99) at −0.002.
    where = settled(at)
    assert where.index.tolist() == ["SGD", "RProp", "RMSProp"]
    assert where.loc["RProp", "settled x"] == pytest.approx(-0.1, abs=1e-3)
    assert abs(where.loc["SGD", "settled x"]) < 1e-3
    assert where.loc["RMSProp", "settled x"] == pytest.approx(-0.002, abs=5e-4)
    assert any("x ≈ -0.100" in m.value for m in at.markdown), "the sentence quoting RProp's settled x"


def test_beta_moves_only_rmsprop_and_by_the_notes_amount(open_page, page_chart):
    at = open_page("story")
    drift_before = frame_with(at, page_chart, "drift", "config", "epoch", "x")
    bars_before = frame_with(at, page_chart, "bars", "batch", "gradient")
    at.slider(key="rms_beta").set_value(0.9).run()
    assert not at.exception
    # NOTES.md: with β = 0.9 RMSProp settles at −0.022.
    assert settled(at).loc["RMSProp", "settled x"] == pytest.approx(-0.022, abs=2e-3)
    drift = frame_with(at, page_chart, "drift", "config", "epoch", "x")
    rms = drift["config"].astype(str) == "RMSProp"
    assert not drift[rms].reset_index(drop=True).equals(drift_before[rms].reset_index(drop=True))
    pd.testing.assert_frame_equal(drift[~rms].reset_index(drop=True), drift_before[~rms].reset_index(drop=True))
    pd.testing.assert_frame_equal(frame_with(at, page_chart, "bars", "batch", "gradient"), bars_before)


def test_pull_sets_the_batch_gradients_and_where_rprop_settles(open_page, page_chart):
    at = open_page("story", QUICK)
    at.slider(key="pull").set_value(1.8).run()
    assert not at.exception
    bars = frame_with(at, page_chart, "bars", "batch", "gradient")
    gradients = sorted(bars["gradient"].astype(float))
    assert gradients[0] == pytest.approx(-1.8, rel=1e-6)
    assert gradients[1:] == pytest.approx([0.2] * 9, rel=1e-6)
    assert sum(gradients) == pytest.approx(0.0, abs=1e-6)
    # The median of the batch minimisers is marked at −pull/9, and RProp settles there.
    marks = frame_with(at, page_chart, "drift", "y", "what")
    assert sorted(marks["y"].astype(float)) == pytest.approx([-0.2, 0.0], abs=1e-7)
    assert settled(at).loc["RProp", "settled x"] == pytest.approx(-0.2, abs=1e-3)
    dial = pd.concat(page_chart.frames(story_chart(at, page_chart, "dial")).values())
    rprop = dial.loc[dial["config"].astype(str) == "RProp", "bias"].astype(float)
    assert len(rprop) >= 1
    assert rprop.to_numpy() == pytest.approx(-0.2, abs=1e-3)


def test_eta_plus_is_the_growth_of_rprops_step(open_page, page_chart):
    at = open_page("story", QUICK)
    before = frame_with(at, page_chart, "clean", "step", "weight", "step_size")
    at.slider(key="eta_plus").set_value(1.5).run()
    assert not at.exception
    clean = frame_with(at, page_chart, "clean", "step", "weight", "step_size")
    assert not clean.equals(before)
    sizes = clean["step_size"].astype(float).to_numpy()
    # Started at −0.9 with a step of 0.01, the sign holds for the first steps: each is η⁺ times the last.
    assert sizes[0] == pytest.approx(0.01 * 1.5, rel=1e-6) or sizes[0] == pytest.approx(0.01, rel=1e-6)
    assert sizes[2] / sizes[1] == pytest.approx(1.5, rel=1e-5)
    assert sizes[3] / sizes[2] == pytest.approx(1.5, rel=1e-5)


def test_the_tutorial_dials_rerun_the_tutorial_and_nothing_else(open_page, page_chart):
    at = open_page("story", QUICK)
    path_before = frame_with(at, page_chart, "bowl", "config", "seed", "step", "x", "y")
    drift_before = frame_with(at, page_chart, "drift", "config", "epoch", "x")
    at.select_slider(key="tut_lr").set_value(0.02).run()
    at.slider(key="tut_beta").set_value(0.9).run()
    assert not at.exception
    rows = table_rows(at)
    assert rows[0][:2] == pytest.approx(first_rmsprop_point(0.02, 0.9), abs=EIGHTH)
    assert rows[0][2] == pytest.approx(rows[0][0] ** 2 + rows[0][1] ** 2, abs=1e-5)
    path = frame_with(at, page_chart, "bowl", "config", "seed", "step", "x", "y")
    assert not path.equals(path_before)
    first = path[path["step"] == 1][["x", "y"]].astype(float).to_numpy()[0]
    assert tuple(first) == pytest.approx(first_rmsprop_point(0.02, 0.9), abs=1e-6)  # float32 in the chart
    pd.testing.assert_frame_equal(frame_with(at, page_chart, "drift", "config", "epoch", "x"), drift_before)


def test_steps_and_seeds_set_the_trap_run(open_page, page_chart):
    at = open_page("story", {"steps": "300", "seeds": "3"})
    assert not at.exception
    assert not at.warning
    drift = frame_with(at, page_chart, "drift", "config", "epoch", "x")
    assert drift.groupby("config", observed=True)["epoch"].max().eq(30).all()  # 300 steps of 10 batches
    at.number_input(key="steps").set_value(500).run()
    assert not at.exception
    drift = frame_with(at, page_chart, "drift", "config", "epoch", "x")
    assert drift.groupby("config", observed=True)["epoch"].max().eq(50).all()
