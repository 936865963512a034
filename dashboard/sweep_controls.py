"""The Sweep page's controls, bound to the URL like the Compare page's (same keys where they mean the same)."""

from __future__ import annotations

import streamlit as st

from dashboard import sweep
from dashboard.compare_controls import SCENARIO, _parsed, family_switches, scenario_controls
from dashboard.controls import Control, log_grid, number_label
from dashboard.settings import FAMILIES, PREFIX
from scenarios import SCENARIOS

LR_GRID = log_grid(*sweep.LR_RANGE)
LR_MIN = Control("lr_min", "smallest learning rate", "options", 1e-4, options=LR_GRID, format=number_label)
LR_MAX = Control("lr_max", "largest learning rate", "options", 1.0, options=LR_GRID, format=number_label)
GRID = Control("grid", "grid size", "choice", "20", "Cells per axis (at most 40 × 40).",
               options=tuple(str(g) for g in sweep.GRID_SIZES))
SEEDS = Control("seeds", "seeds", "int", 4, f"Runs per cell (at most {sweep.MAX_SEEDS}); a cell shows the median.",
                low=1, high=sweep.MAX_SEEDS)
STEPS = Control("steps", "steps", "int", 200, f"Updates per run (at most {sweep.MAX_STEPS}).", low=10,
                high=sweep.MAX_STEPS, step=50)
METRIC = Control("metric", "score", "choice", sweep.METRICS[0], "Loss above the minimum at the last step, or "
                 "averaged over the last 10 % of the steps (less noisy).", options=sweep.METRICS)
DEFAULTS = sweep.SweepSettings()


def axis_control(family: str) -> Control:
    return Control(f"{PREFIX[family]}_axis", "second axis", "choice", sweep.SECOND_AXES[family][0],
                   f"The hyperparameter swept against the learning rate for {family}.",
                   options=sweep.SECOND_AXES[family])


def scenario_with_default_noise(key: str) -> list[Control]:
    """The scenario's controls, with the sweep's default noise (a sweep without noise hides the point)."""
    out = []
    for c in scenario_controls(SCENARIOS[key]):
        if c.key == "noise":
            c = Control(c.key, c.label, c.kind, "gaussian", c.help, options=c.options)
        if c.key == "batch_size":  # capped lower than on Compare: see sweep.MAX_BATCH
            c = Control(c.key, c.label, c.kind, min(int(c.default), sweep.MAX_BATCH), c.help + " At most "
                        f"{sweep.MAX_BATCH} in a sweep.", low=c.low, high=min(c.high, sweep.MAX_BATCH), step=1)
        if c.key == "sigma":  # the landscape's own noise scale: noisy, but not noise alone
            scale = SCENARIOS[key].problem.noise_scale
            c = Control(c.key, c.label, c.kind, scale, c.help, options=tuple(sorted({*c.options, scale})),
                        format=c.format)
        out.append(c)
    return out


def controls_for_query(raw: dict[str, list[str]]) -> list[Control]:
    scenario = _parsed(Control("scenario", "", "choice", DEFAULTS.scenario, options=SCENARIO.options), raw)
    out = [Control("scenario", SCENARIO.label, "choice", DEFAULTS.scenario, SCENARIO.help, options=SCENARIO.options),
           *scenario_with_default_noise(scenario), LR_MIN, LR_MAX, GRID, SEEDS, STEPS, METRIC]
    for family in FAMILIES:
        out += [family_switches(family)[0], axis_control(family)]
    return out


def render() -> sweep.SweepSettings:
    side = st.sidebar
    key = Control("scenario", SCENARIO.label, "choice", DEFAULTS.scenario, SCENARIO.help,
                  options=SCENARIO.options).render(side)
    values = {c.key: c.render(side) for c in scenario_with_default_noise(key)}
    lo, hi = LR_MIN.render(side), LR_MAX.render(side)
    if lo > hi:
        lo, hi = hi, lo
    grid, seeds, steps, metric = GRID.render(side), SEEDS.render(side), STEPS.render(side), METRIC.render(side)
    families, axes = [], []
    for family in FAMILIES:
        with side.expander(family):
            if family_switches(family)[0].render():
                families.append(family)
            axes.append((family, axis_control(family).render()))
    return sweep.SweepSettings(
        scenario=key, scenario_values=tuple(sorted(values.items())), families=tuple(families), axes=tuple(axes),
        lr_min=lo, lr_max=hi, grid=int(grid), seeds=int(seeds), steps=int(steps), metric=metric,
    )
