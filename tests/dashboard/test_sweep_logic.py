"""dashboard/sweep.py: the grid, one engine call per family checked against single runs, and the Compare link.

The main oracle: a cell of the batched sweep must hold exactly what the same configuration gives when run
alone, with float hyperparameters, through ``scenarios.run`` and scored as the module's docstring says.
"""

from __future__ import annotations

import math
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dashboard import compare_controls, sweep
from dashboard.controls import check_query, log_grid
from dashboard.settings import FAMILIES, PREFIX, OptimizerConfig, family_defaults
from optimizers import REGISTRY
from scenarios import SCENARIOS, run

AXES = [(family, axis) for family in FAMILIES for axis in sweep.SECOND_AXES[family]]


def compare_control(family: str, name: str, scenario: str | None = None):
    key = compare_controls.family_key(family, 0, name)
    return next(c for c in compare_controls.config_controls(family, 0, scenario) if c.key == key)


# -- the grid --------------------------------------------------------------------------------------------

LR_GRID = log_grid(1e-4, 1.0)


@given(lo=st.sampled_from(LR_GRID), hi=st.sampled_from(LR_GRID), grid=st.sampled_from(sweep.GRID_SIZES))
def test_lr_values_are_on_the_compare_grid_within_the_range(lo, hi, grid):
    lo, hi = min(lo, hi), max(lo, hi)
    values = sweep.lr_values(sweep.SweepSettings(lr_min=lo, lr_max=hi, grid=grid))
    compare_lrs = {family: compare_control(family, "lr").options for family in FAMILIES}
    assert 0 < len(values) <= grid
    assert list(values) == sorted(set(values))
    assert values[0] == lo
    assert values[-1] == hi
    assert all(lo <= v <= hi for v in values)
    for options in compare_lrs.values():
        assert set(values) <= set(options)


def test_lr_values_fill_the_grid_when_the_range_allows():
    s = sweep.SweepSettings(lr_min=1e-4, lr_max=1.0, grid=20)
    values = sweep.lr_values(s)
    assert len(values) == 20
    ratios = np.diff(np.log10(values))
    # Evenly spread in log space, up to the grid's rounding and the powers of ten that are always kept.
    assert ratios.max() <= 3.5 * ratios.min()
    assert {1e-4, 1e-3, 1e-2, 1e-1, 1.0} <= set(values)


@pytest.mark.parametrize("count", sweep.GRID_SIZES)
@pytest.mark.parametrize(("family", "name"), AXES)
def test_second_values_are_on_the_slider_within_its_range(family, name, count):
    decl = REGISTRY[family].declaration(name)
    control = compare_control(family, name)
    values = sweep.second_values(family, name, count)
    assert 2 <= len(values) <= count
    assert list(values) == sorted(set(values))
    assert decl.ui_low <= values[0]
    assert values[-1] <= decl.ui_high
    assert values[0] == decl.ui_low
    assert values[-1] == pytest.approx(decl.ui_high)
    if control.kind == "options":
        assert set(values) <= set(control.options)
    else:
        assert control.kind == "slider"
        steps = values / control.step
        assert np.allclose(steps, np.round(steps), rtol=0, atol=1e-6), values
    REGISTRY[family](**{**family_defaults(family), name: values[:, None]})  # every value is valid


@pytest.mark.parametrize("count", sweep.GRID_SIZES)
@pytest.mark.parametrize(("family", "name"), [(f, n) for f, n in AXES if n in sweep.NEAR_ONE])
def test_beta_and_momentum_are_spread_evenly_in_one_minus_value(family, name, count):
    values = sweep.second_values(family, name, count)
    assert len(values) == count, "as many distinct rows as the grid asks for"
    np.testing.assert_allclose(values, np.round(values, 3), atol=1e-12)  # on the slider's 0.001 steps
    high = REGISTRY[family].declaration(name).ui_high
    assert values[0] == 0.0
    assert values[-1] == pytest.approx(high)
    # evenly spread in log(1 − value), except for the last few rows, where the slider's 0.001 steps are
    # coarser than an even spread (0.997, 0.998, 0.999 are neighbours)
    steps = np.diff(-np.log10(1.0 - values))
    assert steps[:-4].max() <= 2.5 * (-np.log10(1.0 - high)) / (count - 1)
    assert np.sum(values >= 0.9) >= len(values) // 3  # crowded towards 1, where β matters


# -- run_family against single runs ------------------------------------------------------------------------


def single_score(s: sweep.SweepSettings, family: str, lr: float, name: str, value: float) -> tuple[float, int]:
    """One configuration alone, float hyperparameters, scored as the sweep documents it."""
    scenario = SCENARIOS[s.scenario].configure(**dict(s.scenario_values))
    opt = REGISTRY[family](**{**family_defaults(family, s.scenario), "lr": float(lr), name: float(value)})
    race = run(scenario, {family: opt}, steps=s.steps, seeds=s.seeds, record_every=sweep.record_every(s.steps))
    gap = race.loss[0] - scenario.min_loss  # (seeds, T)
    per_seed = gap[:, -1] if s.metric == "final" else gap[:, race.steps >= s.steps - max(1, s.steps // 10)].mean(-1)
    diverged = race.diverged_at[0] >= 0
    per_seed = np.where(diverged, np.inf, per_seed)
    score = float(np.median(per_seed))
    return (max(score, 1e-16) if math.isfinite(score) else math.nan), int(diverged.sum())


@pytest.mark.parametrize("metric", sweep.METRICS)
@pytest.mark.parametrize(("family", "name"), [("SGD", "momentum"), ("SGD", "weight_decay"), ("RProp", "eta_plus"),
                                              ("RProp", "eta_minus"), ("RMSProp", "beta"), ("RMSProp", "eps")])
def test_run_family_cells_equal_single_runs(family, name, metric):
    s = sweep.SweepSettings(grid=10, seeds=3, steps=120, metric=metric,
                            axes=tuple((f, name if f == family else sweep.SECOND_AXES[f][0]) for f in FAMILIES))
    cells = sweep.run_family(s, family)
    lrs, values = sweep.lr_values(s), sweep.second_values(family, name, s.grid)
    assert list(cells.columns) == ["family", "lr", "param", "value", "score", "diverged_seeds", "seeds"]
    assert len(cells) == len(lrs) * len(values)
    assert set(zip(cells["lr"], cells["value"], strict=True)) == {(lr, v) for lr in lrs for v in values}
    assert (cells["family"] == family).all()
    assert (cells["param"] == name).all()
    assert (cells["seeds"] == 3).all()
    # every partly diverged cell, and an even spread of the others
    partly = np.flatnonzero((cells["diverged_seeds"] > 0) & (cells["diverged_seeds"] < s.seeds))
    sample = np.unique(np.r_[partly[:4], np.linspace(0, len(cells) - 1, 6).round().astype(int)])
    for i in sample:
        row = cells.iloc[i]
        score, diverged = single_score(s, family, row["lr"], name, row["value"])
        assert row["diverged_seeds"] == diverged, (row["lr"], row["value"])
        if math.isnan(score):
            assert math.isnan(row["score"]), (row["lr"], row["value"])
        else:
            assert row["score"] == pytest.approx(score, rel=1e-12, abs=0), (row["lr"], row["value"])


@pytest.mark.parametrize("seeds", [4, 5])
def test_a_cell_is_diverged_iff_at_least_half_its_seeds_are(seeds):
    cells = sweep.run_family(sweep.SweepSettings(grid=10, seeds=seeds, steps=120), "SGD")
    counts = set(cells["diverged_seeds"])
    half = seeds / 2
    assert any(0 < c < half for c in counts), counts  # precondition: cells that lost a few seeds …
    assert any(half <= c < seeds for c in counts), counts  # … and cells that lost half or more, not all
    assert (cells["score"].isna() == (cells["diverged_seeds"] >= half)).all()
    assert (cells["score"].dropna() >= 1e-16).all()
    assert np.isfinite(cells["score"].dropna()).all()


# -- best_rows ---------------------------------------------------------------------------------------------


def test_best_rows_pick_the_lowest_finite_score_per_family():
    cells = pd.DataFrame({
        "family": ["SGD", "SGD", "SGD", "RProp", "RProp", "RMSProp", "RMSProp"],
        "lr": [0.1, 0.01, 0.001, 0.1, 0.01, 0.1, 0.01],
        "param": ["momentum"] * 3 + ["eta_plus"] * 2 + ["beta"] * 2,
        "value": [0.0, 0.9, 0.5, 1.2, 1.5, 0.9, 0.99],
        "score": [np.nan, 3e-3, 2e-2, np.nan, np.nan, 5e-5, 1e-6],
        "diverged_seeds": [4, 0, 0, 4, 3, 0, 0],
        "seeds": 4,
    })
    best = sweep.best_rows(cells)
    assert best["family"].tolist() == ["SGD", "RMSProp"]  # RProp diverged everywhere: no best
    assert best["lr"].tolist() == [0.01, 0.01]
    assert best["value"].tolist() == [0.9, 0.99]
    assert best["score"].tolist() == [3e-3, 1e-6]


def test_best_rows_of_a_real_sweep():
    s = sweep.SweepSettings(grid=10, seeds=3, steps=120)
    cells = pd.concat([sweep.run_family(s, f) for f in FAMILIES], ignore_index=True)
    best = sweep.best_rows(cells)
    assert best["family"].tolist() == list(FAMILIES)
    for row in best.itertuples():
        family_cells = cells[cells["family"] == row.family]
        assert row.score == family_cells["score"].min()  # min() skips the diverged (NaN) cells
    assert sweep.best_rows(cells.assign(score=np.nan)).empty


# -- compare_link ------------------------------------------------------------------------------------------

LINK_SETTINGS = [
    sweep.SweepSettings(),
    sweep.SweepSettings(scenario="minibatch-trap", scenario_values=(("pull", 0.9),), steps=500, seeds=8),
    sweep.SweepSettings(scenario="least-squares", scenario_values=(("batch_size", 7),), steps=10, seeds=1),
    sweep.SweepSettings(scenario="bowl", scenario_values=(("noise", "skewed"), ("sigma", 0.32))),
    sweep.SweepSettings(scenario="himmelblau", scenario_values=(("noise", "none"), ("sigma", 0.0))),
]


def links(s: sweep.SweepSettings):
    lrs = sweep.lr_values(s)
    for family, name in AXES:
        for value in sweep.second_values(family, name, 10):
            for lr in (lrs[0], lrs[len(lrs) // 2], lrs[-1]):
                yield family, lr, name, value, sweep.compare_link(s, family, lr, name, value)


@pytest.mark.parametrize("s", LINK_SETTINGS, ids=lambda s: s.scenario)
def test_compare_link_is_accepted_exactly_and_reproduces_the_cell(s):
    for family, lr, name, value, url in links(s):
        parts = urlsplit(url)
        assert parts.path == "/"
        assert not parts.netloc
        raw = parse_qs(parts.query, keep_blank_values=True, strict_parsing=True)
        controls = compare_controls.controls_for_query(raw)
        report = check_query(raw, controls)
        assert (report.rewrite, report.drop, report.notes) == ({}, (), ()), (url, report)
        query = {k: v[-1] for k, v in raw.items()}
        assert all(len(v) == 1 for v in raw.values())
        assert query["scenario"] == s.scenario
        assert int(query["steps"]) == s.steps
        assert int(query["seeds"]) == s.seeds
        by_key = {c.key: c for c in controls}
        for key, wanted in s.scenario_values:
            assert by_key[key].parse(query[key])[0] == wanted
        for other in FAMILIES:
            assert query.get(f"{PREFIX[other]}_on", "true") == ("true" if other == family else "false")
        # the configuration the Compare page will build from the link is the sweep's cell
        hyper = {}
        for control in compare_controls.config_controls(family, 0, s.scenario):
            text = query.get(control.key)
            hyper[control.key.split("_", 1)[1]] = control.default if text is None else control.parse(text)[0]
        assert OptimizerConfig.of(family, **hyper) == OptimizerConfig.of(
            family, **{**family_defaults(family, s.scenario), "lr": float(lr), name: float(value)}), url


@pytest.mark.parametrize(("scenario", "values"), [
    ("bowl", (("noise", "gaussian"), ("sigma", 0.0125))),  # σ is on a log slider: values from its grid
    ("minibatch-trap", (("pull", 1.23456789),)),
])
def test_compare_link_keeps_the_scenario_settings_exactly(scenario, values):
    s = sweep.SweepSettings(scenario=scenario, scenario_values=values)
    raw = parse_qs(urlsplit(sweep.compare_link(s, "SGD", 0.01, "momentum", 0.9)).query)
    by_key = {c.key: c for c in compare_controls.controls_for_query(raw)}
    for key, wanted in values:
        assert by_key[key].parse(raw[key][-1])[0] == wanted


def test_the_sweep_caps_the_batch_size():
    with pytest.raises(ValueError, match="'batch_size' must be an integer in \\[1, 20\\]"):
        sweep.SweepSettings(scenario="logistic", scenario_values=(("batch_size", sweep.MAX_BATCH + 1),))
    assert sweep.SweepSettings(scenario="logistic", scenario_values=(("batch_size", sweep.MAX_BATCH),))
