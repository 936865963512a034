"""The Sweep page's controls, bound to the URL like the Compare page's (same keys where they mean the same)."""

from __future__ import annotations

import streamlit as st

from dashboard import sweep
from dashboard.compare_controls import SCENARIO, family_switches, parsed_value, scenario_controls
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


SWEEP_SCENARIO = Control("scenario", SCENARIO.label, "choice", DEFAULTS.scenario, SCENARIO.help,
                         options=SCENARIO.options)


def controls_for_query(raw: dict[str, list[str]]) -> list[Control]:
    out = [SWEEP_SCENARIO, *scenario_with_default_noise(parsed_value(SWEEP_SCENARIO, raw)), LR_MIN, LR_MAX, GRID, SEEDS,
           STEPS, METRIC]
    for family in FAMILIES:
        out += [family_switches(family)[0], axis_control(family)]
    return out


def _scenario_changed() -> None:
    """A new landscape brings its own noise scale: reset the settings both landscapes have."""
    new = st.session_state[SWEEP_SCENARIO.key]
    shown = {c.key for c in scenario_with_default_noise(st.session_state.get(_SHOWN, new))}
    for control in scenario_with_default_noise(new):
        if control.key in shown:  # a widget not on screen yet takes its default by itself
            st.session_state[control.key] = control.default


_SHOWN = "_sweep_scenario_shown"


def render() -> tuple[sweep.SweepSettings, list[str]]:
    """Draw the settings (sidebar); return them, and notes on what had to be adjusted."""
    side = st.sidebar
    key = SWEEP_SCENARIO.render(side, on_change=_scenario_changed)
    st.session_state[_SHOWN] = key
    box = side.container()  # one slot however many settings the scenario has: later widgets keep their place
    values = {c.key: c.render(box) for c in scenario_with_default_noise(key)}
    notes = []
    lo, hi = LR_MIN.render(side), LR_MAX.render(side)
    if lo > hi:
        lo, hi = hi, lo
        notes.append("The smallest learning rate was above the largest: the sweep uses them the other way round.")
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
    ), notes
