"""The Sweep page through AppTest: the heatmaps, the best-of-each table and its links, the caps.

Small grids, few steps and seeds throughout; each test uses its own settings so that no test only
replays another's cached results.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import numpy as np
import pandas as pd
import pytest

from dashboard import sweep
from dashboard.settings import FAMILIES, PREFIX

SMALL = {"grid": "10", "steps": "50", "seeds": "2"}


def the_chart(at):
    charts = at.get("vega_lite_chart")
    assert len(charts) == 1, f"expected the one sweep chart, found {len(charts)}"
    return charts[0]


def cells_by_family(page_chart, at) -> dict[str, pd.DataFrame]:
    """Each heatmap's cells (the dataset its view draws that has a ``status``), by the view's title."""
    chart = the_chart(at)
    spec, frames = page_chart.spec(chart), page_chart.frames(chart)
    out = {}
    for view in spec["hconcat"]:
        cells = [frames[n] for n in page_chart.data_names(view) if "status" in frames[n].columns]
        assert len(cells) == 1, f"{view.get('title')}: one cells dataset"
        out[view["title"]] = cells[0].reset_index(drop=True)
    return out


def best_table(at) -> pd.DataFrame:
    assert len(at.dataframe) == 1, "the best-of-each table"
    return at.dataframe[0].value


def test_the_sweep_renders_a_heatmap_per_optimizer_and_links_to_compare(open_page, page_chart):
    at = open_page("sweep", SMALL)
    assert not at.exception, [e.value for e in at.exception]
    assert not at.warning
    cells = cells_by_family(page_chart, at)
    assert list(cells) == list(FAMILIES)
    for family, frame in cells.items():
        assert set(frame["family"].astype(str)) == {family}
        assert frame["lr"].nunique() == 10
        assert 2 <= frame["value"].nunique() <= 10
        assert len(frame) == frame["lr"].nunique() * frame["value"].nunique()
        assert frame["seeds"].eq(2).all()
        assert set(frame["param"].astype(str)) == {sweep.SECOND_AXES[family][0]}

    table = best_table(at)
    assert table["optimizer"].tolist() == list(FAMILIES)
    links = table["open"].tolist()
    assert all(link.startswith("/?scenario=") for link in links), links
    for row in table.itertuples():
        frame = cells[row.optimizer]
        best = frame.loc[frame["score"].astype(float).idxmin()]
        # The table names the chart's best cell (float32 in the chart, float64 in the table).
        assert table.loc[row.Index, "learning rate"] == pytest.approx(float(best["lr"]), rel=1e-6)
        assert table.loc[row.Index, "loss − minimum"] == pytest.approx(float(best["score"]), rel=1e-5)
        query = dict(parse_qsl(urlsplit(row.open).query))
        assert query["steps"] == "50"
        assert query["seeds"] == "2"
        assert float(query[f"{PREFIX[row.optimizer]}_lr"]) == pytest.approx(float(best["lr"]), rel=1e-6)


def test_each_best_link_opens_that_optimizer_on_compare_without_a_warning(open_page):
    table = best_table(open_page("sweep", {**SMALL, "steps": "40"}))
    for row in table.itertuples():
        query = dict(parse_qsl(urlsplit(row.open).query))
        compare = open_page("compare", query)
        assert not compare.exception, row.open
        assert not compare.warning, f"{row.open}: {[w.value for w in compare.warning]}"
        labels = compare.dataframe[0].value["config"].tolist()
        assert len(labels) == 1
        assert labels[0].split()[0] == row.optimizer
        prefix = PREFIX[row.optimizer]
        assert compare.select_slider(key=f"{prefix}_lr").value == pytest.approx(float(query[f"{prefix}_lr"]))
        assert compare.number_input(key="steps").value == 40


def test_the_metric_changes_the_scores(open_page, page_chart):
    at = open_page("sweep", {**SMALL, "steps": "60"})
    before = cells_by_family(page_chart, at)
    at.selectbox(key="metric").set_value("final").run()
    assert not at.exception
    after = cells_by_family(page_chart, at)
    for family in FAMILIES:
        assert not np.array_equal(after[family]["score"].to_numpy(), before[family]["score"].to_numpy(),
                                  equal_nan=True), family
        pd.testing.assert_series_equal(after[family]["lr"], before[family]["lr"])


def test_a_finer_grid_has_more_cells(open_page, page_chart):
    at = open_page("sweep", {**SMALL, "steps": "30", "sgd_on": "false", "rprop_on": "false"})
    assert len(cells_by_family(page_chart, at)["RMSProp"]) == 100
    at.selectbox(key="grid").set_value("20").run()
    assert not at.exception
    cells = cells_by_family(page_chart, at)["RMSProp"]
    assert cells["lr"].nunique() == 20
    assert len(cells) == 20 * cells["value"].nunique() > 100


def test_switching_an_optimizer_off_removes_its_heatmap_and_row(open_page, page_chart):
    at = open_page("sweep", {**SMALL, "steps": "70"})
    before = cells_by_family(page_chart, at)
    at.toggle(key="rprop_on").set_value(False).run()
    assert not at.exception
    after = cells_by_family(page_chart, at)
    assert list(after) == ["SGD", "RMSProp"]
    assert best_table(at)["optimizer"].tolist() == ["SGD", "RMSProp"]
    for family in after:
        pd.testing.assert_frame_equal(after[family], before[family])


def test_every_optimizer_off_shows_a_hint(open_page):
    at = open_page("sweep", {**SMALL, "sgd_on": "false", "rprop_on": "false", "rms_on": "false"})
    assert not at.exception
    assert not at.get("vega_lite_chart")
    assert any("switch one on" in i.value for i in at.info)


def test_the_second_axis_can_be_changed(open_page, page_chart):
    at = open_page("sweep", {**SMALL, "steps": "45", "sgd_on": "false", "rprop_on": "false", "rms_axis": "eps"})
    assert not at.exception
    assert not at.warning
    cells = cells_by_family(page_chart, at)["RMSProp"]
    assert set(cells["param"].astype(str)) == {"eps"}
    assert cells["value"].min() < 1e-6  # ε spans decades, down to 1e-12
    assert "eps = " in best_table(at)["second hyperparameter"].iloc[0]


def test_a_reversed_learning_rate_range_is_swapped(open_page, page_chart):
    at = open_page("sweep", {**SMALL, "steps": "55", "sgd_on": "false", "rprop_on": "false",
                             "lr_min": "0.1", "lr_max": "0.001"})
    assert not at.exception
    lrs = cells_by_family(page_chart, at)["RMSProp"]["lr"].astype(float)
    assert lrs.min() == pytest.approx(0.001, rel=1e-6)
    assert lrs.max() == pytest.approx(0.1, rel=1e-6)


def test_caps_hold_whatever_the_url_asks(open_page, page_chart):
    at = open_page("sweep", {"grid": "400", "seeds": "99", "steps": "99999", "sgd_on": "false", "rprop_on": "false"})
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.warning) == 1
    text = at.warning[0].value
    for shown in ("grid=400", "seeds=99", "steps=99999"):
        assert f"`{shown}`" in text, text
    assert at.number_input(key="seeds").value == sweep.MAX_SEEDS
    assert at.number_input(key="steps").value == sweep.MAX_STEPS
    cells = cells_by_family(page_chart, at)["RMSProp"]
    assert len(cells) <= sweep.MAX_GRID**2
    assert cells["lr"].nunique() <= sweep.MAX_GRID
    assert cells["seeds"].max() <= sweep.MAX_SEEDS
    query = dict(parse_qsl(urlsplit(best_table(at)["open"].iloc[0]).query))
    assert int(query["steps"]) <= sweep.MAX_STEPS
    assert int(query["seeds"]) <= sweep.MAX_SEEDS


def test_a_view_already_computed_for_someone_else_renders(open_page):
    # Regression: the cached engine call used to drive a progress bar made outside it, so replaying it from
    # the cache (a rerun, or a second visitor with the same settings) raised CacheReplayClosureError.
    query = {**SMALL, "steps": "65", "sgd_on": "false"}
    first = open_page("sweep", query)
    assert not first.exception
    first.run()
    assert not first.exception, "a rerun of the same view"
    second = open_page("sweep", query)
    assert not second.exception, "a second session with the same view"
    pd.testing.assert_frame_equal(best_table(second), best_table(first))
