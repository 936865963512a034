"""The cached path from settings to what a page shows: one engine call, frames made once, charts built once.

Keys are the frozen settings objects, so a rerun with unchanged settings reuses everything: the race,
its frames and its chart. ``max_entries`` keeps the memory bounded on a shared server.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import streamlit as st

from dashboard import charts, frames, landscape, vega
from dashboard.settings import CompareSettings
from scenarios import SCENARIOS, Race, run


# Few races: one at the largest settings holds about 46 MB, and only the CSV download needs it again (the
# views below keep what they draw, a few hundred kB each).
@st.cache_data(max_entries=4, show_spinner=False)
def race(settings: CompareSettings) -> Race:
    """The engine call for a Compare view (its settings are validated and capped)."""
    return run(
        settings.scenario_object(),
        {label: config.build() for label, config in zip(settings.labels, settings.configs, strict=True)},
        steps=settings.steps,
        seeds=settings.seeds,
        start=settings.start_point(),
    )


@st.cache_data(max_entries=len(SCENARIOS) * 2, show_spinner=False)
def landscape_frames(scenario_key: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Heatmap and contour lines of a scenario's objective (they do not depend on its noise)."""
    scenario = SCENARIOS[scenario_key]
    return frames.compact(landscape.heatmap_frame(scenario)), frames.compact(landscape.contour_frame(scenario))


@st.cache_data(max_entries=len(SCENARIOS) * 2, show_spinner=False)
def landscape_arrow(scenario_key: str) -> dict[str, tuple[str, bytes]]:
    heatmap, contours = landscape_frames(scenario_key)
    return {"heatmap": vega.arrow(heatmap), "contours": vega.arrow(contours)}


@st.cache_data(max_entries=64, show_spinner=False)
def race_template(scenario_key: str, start: tuple[float, float], labels: tuple[str, ...]) -> dict:
    """The Compare chart's structure: it depends only on the scenario, the start and the labels."""
    names = ("heatmap", "contours", "paths", "losses", "steps")
    chart = charts.race_chart(SCENARIOS[scenario_key], *map(vega.placeholder, names), start, labels)
    return vega.template(chart)


@dataclass(frozen=True)
class CompareView:
    """Everything the Compare page draws, made once per settings."""

    chart: dict  # the Vega-Lite spec, datasets as Arrow bytes (see dashboard/vega.py)
    summary: pd.DataFrame
    diverged: tuple[str, ...]  # one sentence per configuration with diverged runs


@st.cache_data(max_entries=16, show_spinner=False)
def compare_view(settings: CompareSettings) -> CompareView:
    result = race(settings)
    scenario = settings.scenario_object()
    # The same thinned steps on every chart (so a hovered step exists on all), plus the last finite step
    # of every diverged run (so its lines end where it left).
    steps = np.union1d(frames.drawn_steps(len(result.steps), frames.LINE_POINTS), frames.last_finite(result))
    spec = vega.fill(race_template(settings.scenario, settings.start_point(), result.labels), {
        **landscape_arrow(settings.scenario),
        "paths": frames.compact(frames.path_frame(result, steps, scenario.bounds)),
        "losses": frames.compact(frames.loss_frame(result, scenario.min_loss, steps)),
        "steps": frames.compact(frames.step_frame(result, steps, scenario.axis_names)),
    })
    summary = frames.summary_frame(result, scenario)
    diverged = tuple(
        f"{row['config']}: {row['diverged']} runs diverged (the first at step {int(row['diverged at'])})."
        for _, row in summary.iterrows() if pd.notna(row["diverged at"])
    )
    return CompareView(spec, summary, diverged)


def runs_csv(settings: CompareSettings) -> str:
    """The CSV of every run, made only when someone downloads it."""
    return frames.runs_csv(race(settings))
