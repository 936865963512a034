"""Altair chart builders: pure functions from tidy DataFrames to ``alt.Chart`` objects.

The Compare page shows one concatenated chart — landscape on the left, loss and step size on the right —
so that the ``hover`` selection on a step (defined on the loss and step-size charts) can mark the
iterate on the landscape inside the browser, without a round trip to the server.
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import pandas as pd

from scenarios import Scenario

# Tableau 10, reordered so the first three (the default SGD, RProp, RMSProp) contrast on the heatmap.
PALETTE = ("#e45756", "#f58518", "#4c78a8", "#54a24b", "#b279a2", "#ff9da6", "#9d755d", "#bab0ac",
           "#eeca3b", "#72b7b2")
SIZE = 380  # the landscape's side, in pixels
# Size the plotting area, and add axes and legends around it (Streamlit's default "fit" squeezes the plot
# to make room for them, which flattens a square landscape).
PAD = alt.AutoSizeParams(type="pad", contains="padding")
SIDE_WIDTH = 360
SIDE_HEIGHT = 165


def color_scale(labels: Sequence[str]) -> alt.Scale:
    """One colour per configuration, the same in every chart (domain order = legend order)."""
    return alt.Scale(domain=list(labels), range=[PALETTE[i % len(PALETTE)] for i in range(len(labels))])


def hover_selection() -> alt.Parameter:
    return alt.selection_point(name="hover", on="pointerover", nearest=True, fields=["step"], empty=False,
                               clear="pointerout")


def _axis_scales(scenario: Scenario) -> tuple[alt.Scale, alt.Scale]:
    (x0, x1), (y0, y1) = scenario.bounds
    return alt.Scale(domain=[x0, x1], nice=False, zero=False), alt.Scale(domain=[y0, y1], nice=False, zero=False)


def landscape_base(scenario: Scenario, heatmap: pd.DataFrame, contours: pd.DataFrame) -> alt.LayerChart:
    """Heatmap (seamless rectangles, viridis, log colour where the landscape needs it), contours, minima."""
    xs, ys = _axis_scales(scenario)
    xname, yname = scenario.axis_names
    color = alt.Color(
        "gap:Q",
        title="f − f_min",
        scale=alt.Scale(scheme="viridis", type="log" if scenario.log_color else "linear"),
        legend=alt.Legend(orient="bottom", direction="horizontal", gradientLength=SIZE - 80,
                          format=".0e" if scenario.log_color else ".2~f", titleOrient="left", tickCount=4,
                          labelOverlap=True),
    )
    # Opaque: the cells overlap a little (see landscape.heatmap_frame) and must not darken where they do.
    heat = alt.Chart(heatmap).mark_rect(strokeWidth=0).encode(
        x=alt.X("x:Q", scale=xs, title=xname, axis=alt.Axis(grid=False)), x2="x2:Q",
        y=alt.Y("y:Q", scale=ys, title=yname, axis=alt.Axis(grid=False)), y2="y2:Q",
        color=color, tooltip=alt.value(None),
    )
    lines = alt.Chart(contours).mark_line(color="white", strokeWidth=0.7, opacity=0.55, clip=True).encode(
        x=alt.X("x:Q", scale=xs), y=alt.Y("y:Q", scale=ys), detail="line:N", order="order:Q",
    )
    minima = pd.DataFrame(scenario.minima, columns=["x", "y"])
    stars = alt.Chart(minima).mark_point(shape="cross", size=110, color="white", strokeWidth=2.5, filled=True).encode(
        x=alt.X("x:Q", scale=xs), y=alt.Y("y:Q", scale=ys), tooltip=[alt.Tooltip("x:Q", format=".4g"),
                                                                  alt.Tooltip("y:Q", format=".4g")],
    )
    return alt.layer(heat, lines, stars)


def landscape_chart(scenario: Scenario, heatmap: pd.DataFrame, contours: pd.DataFrame, paths: pd.DataFrame,
                    start: tuple[float, float], labels: Sequence[str], hover: alt.Parameter | None = None,
                    size: int = SIZE) -> alt.LayerChart:
    """The landscape with every run's path (in step order), its start, its end points and, if ``hover``
    is given, the iterates at the hovered step."""
    xs, ys = _axis_scales(scenario)
    colors = color_scale(labels)
    base = alt.Chart(paths).encode(x=alt.X("x:Q", scale=xs), y=alt.Y("y:Q", scale=ys),
                                   color=alt.Color("config:N", scale=colors, legend=None))
    path = base.mark_line(strokeWidth=1.6, opacity=0.75, clip=True).encode(
        detail="seed:N", order="step:Q",
        color=alt.Color("config:N", scale=colors, title="configuration",
                        legend=alt.Legend(orient="top", direction="horizontal", columns=3, labelLimit=200,
                                          title=None)),
    )
    tooltip = ["config:N", "seed:N", "step:Q", alt.Tooltip("x:Q", format=".4g"), alt.Tooltip("y:Q", format=".4g")]
    ends = base.transform_window(
        last="max(step)", groupby=["config", "seed"], frame=[None, None]
    ).transform_filter("datum.step == datum.last").mark_point(
        filled=True, size=45, opacity=1, stroke="black", strokeWidth=0.6, clip=True
    ).encode(tooltip=tooltip)
    origin = alt.Chart(pd.DataFrame({"x": [start[0]], "y": [start[1]]})).mark_point(
        shape="circle", size=90, color="black", filled=False, strokeWidth=2
    ).encode(x=alt.X("x:Q", scale=xs), y=alt.Y("y:Q", scale=ys))
    runs = [path, ends, origin]
    if hover is not None:
        runs.append(base.mark_point(size=130, filled=True, stroke="white", strokeWidth=1.5, clip=True).encode(
            tooltip=tooltip).transform_filter(hover))
    # The heatmap's colour (the loss) and the paths' colour (the configuration) are separate scales;
    # within the runs' layers the configuration colours are shared, so there is one legend for them.
    return alt.layer(landscape_base(scenario, heatmap, contours), alt.layer(*runs)).resolve_scale(
        color="independent"
    ).properties(width=size, height=size, title=scenario.title, autosize=PAD)


def loss_chart(losses: pd.DataFrame, labels: Sequence[str], hover: alt.Parameter | None = None) -> alt.LayerChart:
    """The full loss above its minimum per step: median over seeds, and the 25–75 % band (log scale)."""
    colors = color_scale(labels)
    base = alt.Chart(losses).encode(
        x=alt.X("step:Q", title="step"),
        color=alt.Color("config:N", scale=colors, legend=None),
    )
    band = base.mark_area(opacity=0.18).encode(y=alt.Y("q25:Q", scale=alt.Scale(type="log")), y2="q75:Q")
    line = base.mark_line(strokeWidth=2).encode(
        y=alt.Y("median:Q", scale=alt.Scale(type="log"), title="loss − minimum",
                axis=alt.Axis(format="~e", tickCount=6)),
    )
    layers = [band, line]
    if hover is not None:
        layers += _hover_layers(base, "median", hover)
    return alt.layer(*layers).properties(width=SIDE_WIDTH, height=SIDE_HEIGHT, title="Loss per step")


def step_size_chart(steps: pd.DataFrame, labels: Sequence[str], hover: alt.Parameter | None = None
                    ) -> alt.LayerChart:
    """The step each configuration took, per coordinate (median over seeds, log scale)."""
    colors = color_scale(labels)
    base = alt.Chart(steps).encode(
        x=alt.X("step:Q", title="step"),
        color=alt.Color("config:N", scale=colors, legend=None),
    )
    line = base.mark_line(strokeWidth=1.6).encode(
        y=alt.Y("size:Q", scale=alt.Scale(type="log"), title="|Δθ| per coordinate",
                axis=alt.Axis(format="~e", tickCount=6)),
        strokeDash=alt.StrokeDash("coordinate:N", title="coordinate"),
        detail="coordinate:N",
    )
    layers = [line]
    if hover is not None:
        layers += _hover_layers(base, "size", hover)
    return alt.layer(*layers).properties(width=SIDE_WIDTH, height=SIDE_HEIGHT, title="Step taken")


def _hover_layers(base: alt.Chart, field: str, hover: alt.Parameter) -> list[alt.Chart]:
    """Invisible points that catch the pointer, a rule at the hovered step, and dots on the lines."""
    catcher = base.mark_point(opacity=0, size=60).encode(y=alt.Y(f"{field}:Q")).add_params(hover)
    rule = base.mark_rule(color="gray", strokeWidth=1).encode(color=alt.value("gray")).transform_filter(hover)
    dots = base.mark_point(filled=True, size=40).encode(
        y=alt.Y(f"{field}:Q"), tooltip=["config:N", "step:Q", alt.Tooltip(f"{field}:Q", format=".3e")]
    ).transform_filter(hover)
    return [catcher, rule, dots]


def race_chart(scenario: Scenario, heatmap: pd.DataFrame, contours: pd.DataFrame, paths: pd.DataFrame,
               losses: pd.DataFrame, steps: pd.DataFrame, start: tuple[float, float],
               labels: Sequence[str]) -> alt.HConcatChart:
    """The Compare page's chart: landscape | (loss over step size), linked by hovering a step."""
    hover = hover_selection()
    right = alt.vconcat(loss_chart(losses, labels, hover), step_size_chart(steps, labels))
    chart = alt.hconcat(landscape_chart(scenario, heatmap, contours, paths, start, labels, hover), right)
    return chart.resolve_scale(color="independent").configure_view(strokeWidth=0).configure_legend(
        labelLimit=260
    )
