"""The Sweep page's computation: each optimizer over a learning-rate × hyperparameter grid (no widgets here).

A fair comparison gives every optimizer its best settings, not one shared learning rate. For each family
the whole grid is *one* engine call: the grid's learning rates and second hyperparameter become per-run
arrays of shape ``(cells, 1)``, stepped together with every seed.

The score of a run is the full loss above the minimum, either at the last step or averaged over the last
10 % of the steps (sampled every :func:`record_every` steps). A cell's score is the median over its seeds,
where a diverged seed counts as infinitely bad: a cell is *diverged* when at least half its seeds are.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import altair as alt
import numpy as np
import pandas as pd

from dashboard import charts
from dashboard.compare_controls import config_controls, family_key, scenario_controls
from dashboard.controls import Control, log_grid
from dashboard.settings import FAMILIES, PREFIX, check_cap, family_defaults
from optimizers import REGISTRY
from scenarios import SCENARIOS, run

MAX_GRID = 40
MAX_SEEDS = 8
MAX_STEPS = 500
MAX_BATCH = 20  # a sweep steps 12,800 runs at once: the per-example loss of a large batch is the slow part
GRID_SIZES = (10, 20, 30, 40)
LR_RANGE = (1e-4, 1.0)

#: The second axis each family may sweep, first one the default.
SECOND_AXES = {"SGD": ("momentum", "weight_decay"), "RProp": ("eta_plus", "eta_minus"),
               "RMSProp": ("beta", "momentum", "eps")}
#: Axes that live close to 1 are spread evenly in 1 − value (0, 0.5, 0.9, 0.99, 0.999 …).
NEAR_ONE = {"beta", "momentum"}
METRICS = ("last 10%", "final")


@dataclass(frozen=True)
class SweepSettings:
    """Everything a sweep's results depend on (the cache key)."""

    scenario: str = "rosenbrock"
    scenario_values: tuple[tuple[str, Any], ...] = (("noise", "gaussian"), ("sigma", 5.0))  # Rosenbrock's scale
    families: tuple[str, ...] = FAMILIES
    axes: tuple[tuple[str, str], ...] = tuple((f, SECOND_AXES[f][0]) for f in FAMILIES)
    lr_min: float = 1e-4
    lr_max: float = 1.0
    grid: int = 20
    seeds: int = 4
    steps: int = 200
    metric: str = "last 10%"

    def __post_init__(self) -> None:
        """The server's caps hold however the settings were made: grid ≤ 40 × 40, seeds ≤ 8, steps ≤ 500."""
        if self.grid not in GRID_SIZES:
            raise ValueError(f"'grid' must be one of {GRID_SIZES}. Got {self.grid!r} instead.")
        check_cap("seeds", self.seeds, 1, MAX_SEEDS)
        check_cap("steps", self.steps, 1, MAX_STEPS)
        if not LR_RANGE[0] <= self.lr_min <= self.lr_max <= LR_RANGE[1]:
            raise ValueError(f"The learning rates must satisfy {LR_RANGE[0]:g} ≤ lr_min ≤ lr_max ≤ {LR_RANGE[1]:g}. "
                             f"Got {self.lr_min!r}, {self.lr_max!r} instead.")
        for family, axis in self.axes:
            if axis not in SECOND_AXES[family]:
                raise ValueError(f"{family} can sweep {SECOND_AXES[family]}, not {axis!r}.")
        if self.metric not in METRICS:
            raise ValueError(f"'metric' must be one of {METRICS}. Got {self.metric!r} instead.")
        SCENARIOS[self.scenario].configure(**dict(self.scenario_values))
        check_cap("batch_size", dict(self.scenario_values).get("batch_size", 1), 1, MAX_BATCH)

    def axis(self, family: str) -> str:
        return dict(self.axes)[family]


def lr_values(s: SweepSettings) -> np.ndarray:
    """Up to ``grid`` learning rates on the Compare page's log grid, evenly spread in log space, keeping
    the powers of ten (0.001, 0.01, …) that people look for."""
    grid = [v for v in log_grid(*LR_RANGE) if s.lr_min * (1 - 1e-9) <= v <= s.lr_max * (1 + 1e-9)]
    return np.asarray(grid)[spread(grid, s.grid)]


def spread(values: list[float], count: int) -> np.ndarray:
    """Indices of up to ``count`` of ``values``, evenly spread, the first and last always among them and
    every power of ten kept too (each takes the place of the nearest other pick)."""
    pick = set(np.linspace(0, len(values) - 1, min(count, len(values))).round().astype(int).tolist())
    decades = {i for i, v in enumerate(values) if np.isclose(np.log10(v), round(np.log10(v)))}
    fixed = decades | {0, len(values) - 1}
    for i in sorted(decades - pick):
        others = sorted(pick - fixed, key=lambda j: abs(j - i))
        if others:
            pick.remove(others[0])
            pick.add(i)
    return np.array(sorted(pick))


def second_values(family: str, name: str, count: int) -> np.ndarray:
    """``count`` values of the second hyperparameter over its slider range, on the slider's own grid."""
    decl = REGISTRY[family].declaration(name)
    if decl.log:
        grid = np.asarray(log_grid(decl.ui_low, decl.ui_high))
        return grid[np.unique(np.linspace(0, len(grid) - 1, min(count, len(grid))).round().astype(int))]
    if name in NEAR_ONE:
        # 1 − value spread evenly in log space from 1 down to 0.001, on the slider's 0.001 steps; near 1
        # neighbours round to the same step, so draw more until ``count`` distinct values remain.
        for k in range(count, 4 * count):
            values = np.unique(np.round(1.0 - np.geomspace(1.0, 1.0 - decl.ui_high, k), 3))
            if len(values) >= count:
                break
        return values[np.unique(np.linspace(0, len(values) - 1, count).round().astype(int))]
    step = _slider_step(family, name)
    digits = max(0, -int(np.floor(np.log10(step))))
    return np.unique(np.round(np.round(np.linspace(decl.ui_low, decl.ui_high, count) / step) * step, digits))


def _slider_step(family: str, name: str) -> float:
    control = next(c for c in config_controls(family, 0) if c.key == family_key(family, 0, name))
    return control.step or 1e-3


def run_family(s: SweepSettings, family: str) -> pd.DataFrame:
    """One engine call for a family's whole grid. One row per cell: ``lr, value, score, diverged`` …"""
    name = s.axis(family)
    lrs, values = lr_values(s), second_values(family, name, s.grid)
    lr_cell, value_cell = (a.ravel() for a in np.meshgrid(lrs, values))
    hyper = {**family_defaults(family, s.scenario), "lr": lr_cell[:, None], name: value_cell[:, None]}
    scenario = SCENARIOS[s.scenario].configure(**dict(s.scenario_values))
    every = record_every(s.steps)
    race = run(scenario, {family: REGISTRY[family](**hyper)}, steps=s.steps, seeds=s.seeds, record_every=every)
    gap = race.loss[0] - scenario.min_loss  # (seeds, cells, T)
    if s.metric == "final":
        per_seed = gap[..., -1]
    else:
        tail = race.steps >= s.steps - max(1, s.steps // 10)
        per_seed = gap[..., tail].mean(-1)
    diverged = race.diverged_at[0] >= 0  # (seeds, cells)
    per_seed = np.where(diverged | ~np.isfinite(per_seed), np.inf, per_seed)
    score = np.median(per_seed, axis=0)
    return pd.DataFrame({
        "family": family,
        "lr": lr_cell,
        "param": name,
        "value": value_cell,
        "score": np.where(np.isfinite(score), np.maximum(score, 1e-16), np.nan),
        "diverged_seeds": diverged.sum(axis=0),
        "seeds": s.seeds,
    })


def record_every(steps: int) -> int:
    """Record about 50 iterates per run: the last 10 % then holds about five to average, and the full
    loss (needed only where recorded) is not evaluated at every step of 12,800 runs."""
    return max(1, steps // 50)


def best_rows(cells: pd.DataFrame) -> pd.DataFrame:
    """The best (lowest-score) non-diverged cell of each family."""
    finite = cells[np.isfinite(cells["score"])].reset_index(drop=True)
    if finite.empty:
        return finite
    return finite.loc[finite.groupby("family", sort=False)["score"].idxmin()].reset_index(drop=True)


def chart(s: SweepSettings, cells: pd.DataFrame, best: pd.DataFrame) -> alt.HConcatChart:
    """The page's heatmaps: every family's grid on one colour scale, its best cell ringed."""
    axes = dict(s.axes)
    log_axes = {axes[f] for f in s.families if REGISTRY[f].declaration(axes[f]).log}
    return charts.sweep_chart(cells, best, axes, NEAR_ONE, log_axes)


def best_table(s: SweepSettings, cells: pd.DataFrame, best: pd.DataFrame) -> pd.DataFrame:
    """"Best of each": one row per family, with a link that opens its best cell on the Compare page."""
    return pd.DataFrame({
        "optimizer": best["family"],
        "learning rate": best["lr"],
        "second hyperparameter": best["param"] + " = " + best["value"].map(lambda v: f"{v:.4g}"),
        "loss − minimum": best["score"],
        "diverged cells": [int(cells.loc[cells["family"] == f, "score"].isna().sum()) for f in best["family"]],
        "open": [compare_link(s, r.family, r.lr, r.param, r.value) for r in best.itertuples()],
    })


def compare_link(s: SweepSettings, family: str, lr: float, name: str, value: float) -> str:
    """The Compare page's URL for one configuration: same scenario, noise, steps and seeds; this family alone."""
    controls: dict[str, Control] = {c.key: c for c in config_controls(family, 0, s.scenario)}
    query: dict[str, str] = {"scenario": s.scenario, "steps": str(s.steps), "seeds": str(s.seeds)}
    scenario = {c.key: c for c in scenario_controls(SCENARIOS[s.scenario])}
    query.update({k: scenario[k].encode(v) for k, v in s.scenario_values})
    for other in FAMILIES:
        if other != family:
            query[f"{PREFIX[other]}_on"] = "false"
    query[family_key(family, 0, "lr")] = controls[family_key(family, 0, "lr")].encode(float(lr))
    query[family_key(family, 0, name)] = controls[family_key(family, 0, name)].encode(float(value))
    return "/?" + urlencode(query)
