"""Altair chart builders: pure functions from tidy DataFrames to ``alt.Chart`` objects.

The Compare page shows one concatenated chart — landscape on the left, loss and step size on the right —
so that the ``hover`` selection on a step (defined on the loss and step-size charts) can mark the
iterate on the landscape inside the browser, without a round trip to the server.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd

from dashboard.frames import compact
from scenarios import Scenario

# Okabe & Ito's colour-blind-safe palette. Each optimizer owns a hue for its first configuration (SGD
# vermillion, RProp blue, RMSProp reddish purple) and two more for its second and third, so a colour means
# the same configuration on every chart and every page, however many others run beside it.
FAMILY_COLORS = {"SGD": ("#D55E00", "#E69F00", "#882255"), "RProp": ("#0072B2", "#56B4E9", "#009E73"),
                 "RMSProp": ("#CC79A7", "#000000", "#999999")}
OTHER_COLORS = ("#F0E442", "#117733", "#44AA99", "#332288")


# Viridis (perceptually uniform) washed halfway to white: still ordered in lightness, and pale enough
# for the coloured paths on top of it to stay readable.
VIRIDIS = ("#440154", "#482878", "#3e4989", "#31688e", "#26828e", "#1f9e89", "#35b779", "#6ece58",
           "#b5de2b", "#fde725")


def _washed(hex_color: str, amount: float = 0.45) -> str:
    rgb = [int(hex_color[i:i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(c + (255 - c) * amount):02x}" for c in rgb)


HEATMAP_RANGE = [_washed(c) for c in VIRIDIS]
SIZE = 380  # the landscape's side, in pixels
# Size the plotting area, and add axes and legends around it (Streamlit's default "fit" squeezes the plot
# to make room for them, which flattens a square landscape).
PAD = alt.AutoSizeParams(type="pad", contains="padding")
SIDE_WIDTH = 360
SIDE_HEIGHT = 165


def standalone(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    """A chart shown on its own: sized by its plotting area (see :data:`PAD`)."""
    return chart.properties(autosize=PAD)


def colors(labels: Sequence[str]) -> list[str]:
    """The colour of each configuration: its optimizer's hue, the n-th of them for its n-th configuration
    (a label starts with the optimizer's name, e.g. ``RMSProp β=0.9``)."""
    seen: dict[str, int] = {}
    out = []
    for label in labels:
        family = next((f for f in FAMILY_COLORS if label.split(" ")[0] == f), None)
        n = seen[family] = seen.get(family, -1) + 1
        hues = FAMILY_COLORS.get(family, OTHER_COLORS)
        out.append(hues[n % len(hues)] if family else OTHER_COLORS[n % len(OTHER_COLORS)])
    return out


def color_scale(labels: Sequence[str]) -> alt.Scale:
    """One colour per configuration, the same in every chart (domain order = legend order)."""
    return alt.Scale(domain=list(labels), range=colors(labels))


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
        scale=alt.Scale(range=HEATMAP_RANGE, type="log" if scenario.log_color else "linear"),
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
    lines = alt.Chart(contours).mark_line(color="white", strokeWidth=0.8, opacity=0.7, clip=True).encode(
        x=alt.X("x:Q", scale=xs), y=alt.Y("y:Q", scale=ys), detail="line:N", order="order:Q",
    )
    minima = pd.DataFrame(scenario.minima, columns=["x", "y"])
    stars = alt.Chart(minima).mark_point(shape="cross", size=120, color="black", strokeWidth=1, filled=True).encode(
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
                        legend=alt.Legend(orient="top", direction="horizontal", columns=2, labelLimit=170,
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
    ).properties(width=size, height=size, title=scenario.title)


def loss_chart(losses: pd.DataFrame, labels: Sequence[str], hover: alt.Parameter | None = None,
               top: float | None = None) -> alt.LayerChart:
    """The full loss above its minimum per step: median over seeds, and the 25–75 % band (log scale).

    ``top`` caps what is drawn: a run on its way to diverging leaves through the top instead of flattening
    every other line against the bottom, and the axis still fits the rest."""
    colors = color_scale(labels)
    y_scale = alt.Scale(type="log")
    base = alt.Chart(losses).encode(
        x=alt.X("step:Q", title="step"),
        color=alt.Color("config:N", scale=colors, legend=None),
    )
    if top:
        base = base.transform_filter(f"datum.q75 <= {top!r}")
    band = base.mark_area(opacity=0.18, clip=True).encode(y=alt.Y("q25:Q", scale=y_scale), y2="q75:Q")
    line = base.mark_line(strokeWidth=2, clip=True).encode(
        y=alt.Y("median:Q", scale=y_scale, title="loss − minimum", axis=alt.Axis(format="~e", tickCount=6)),
    )
    layers = [band, line]
    if hover is not None:
        layers += _hover_layers(base, "median", hover)
    return alt.layer(*layers).properties(width=SIDE_WIDTH, height=SIDE_HEIGHT, title="Loss per step")


def step_size_chart(steps: pd.DataFrame, labels: Sequence[str], hover: alt.Parameter | None = None,
                    top: float | None = None, coordinates: Sequence[str] = ("x", "y")) -> alt.LayerChart:
    """The step each configuration took, per coordinate (median over seeds, log scale); steps above ``top``
    are not drawn."""
    colors = color_scale(labels)
    y_scale = alt.Scale(type="log")
    base = alt.Chart(steps).encode(
        x=alt.X("step:Q", title="step"),
        color=alt.Color("config:N", scale=colors, legend=None),
    )
    if top:
        base = base.transform_filter(f"datum.size <= {top!r}")
    line = base.mark_line(strokeWidth=1.6, clip=True).encode(
        y=alt.Y("size:Q", scale=y_scale, title="|Δθ| per coordinate", axis=alt.Axis(format="~e", tickCount=6)),
        strokeDash=alt.StrokeDash("coordinate:N", title="coordinate", sort=list(coordinates),
                                  legend=None),
        detail="coordinate:N",
    )
    layers = [line]
    if hover is not None:
        layers += _hover_layers(base, "size", hover)
    title = f"Step taken (solid: {coordinates[0]}, dashed: {coordinates[1]})"
    return alt.layer(*layers).properties(width=SIDE_WIDTH, height=SIDE_HEIGHT, title=title)


def _hover_layers(base: alt.Chart, field: str, hover: alt.Parameter) -> list[alt.Chart]:
    """Invisible points that catch the pointer, a rule at the hovered step, and dots on the lines.

    The catcher has one point per step, all on one line, so "nearest" means nearest in x: a few hundred
    invisible marks instead of one per line and step, which the browser redraws noticeably faster.
    All clipped: a point beyond a capped axis would otherwise stretch the chart's bounds far off-screen."""
    tooltip = ["config:N", "step:Q", alt.Tooltip(f"{field}:Q", format=".3e")]
    catcher = alt.Chart(base.data).transform_aggregate(groupby=["step"]).mark_point(
        opacity=0, size=60, clip=True).encode(x=alt.X("step:Q"), y=alt.value(0)).add_params(hover)
    rule = base.mark_rule(color="gray", strokeWidth=1, clip=True).encode(
        color=alt.value("gray")).transform_filter(hover)
    dots = base.mark_point(filled=True, size=40, clip=True).encode(
        y=alt.Y(f"{field}:Q"), tooltip=tooltip).transform_filter(hover)
    return [catcher, rule, dots]


def race_chart(scenario: Scenario, heatmap: pd.DataFrame, contours: pd.DataFrame, paths: pd.DataFrame,
               losses: pd.DataFrame, steps: pd.DataFrame, start: tuple[float, float],
               labels: Sequence[str]) -> alt.HConcatChart:
    """The Compare page's chart: landscape | (loss over step size), linked by hovering a step.

    The loss axis stops at 1,000 × the start's loss gap and the step axis at the plot box's diagonal:
    beyond those a run has left the picture, and the chart says so by letting it leave."""
    hover = hover_selection()
    (x0, x1), (y0, y1) = scenario.bounds
    with np.errstate(all="ignore"):
        start_gap = float(scenario.loss(np.asarray(start)) - scenario.min_loss)
    loss_top = 1e3 * start_gap if np.isfinite(start_gap) and start_gap > 0 else None
    with warnings.catch_warnings():
        # One hover parameter serves both side charts: Altair merges the two identical definitions into one
        # (and says so in a UserWarning), which is exactly the link we want.
        warnings.filterwarnings("ignore", "Automatically deduplicated selection parameter", UserWarning)
        right = alt.vconcat(
            loss_chart(losses, labels, hover, top=loss_top),
            step_size_chart(steps, labels, hover, top=float(np.hypot(x1 - x0, y1 - y0)),
                            coordinates=scenario.axis_names),
        )
    chart = alt.hconcat(landscape_chart(scenario, heatmap, contours, paths, start, labels, hover), right)
    # Canvas, not SVG: thousands of rectangles and points redraw faster on a canvas (Streamlit picks SVG
    # for charts it estimates to be small, and this one is just under its threshold).
    return chart.resolve_scale(color="independent").configure_view(strokeWidth=0).configure_legend(
        labelLimit=260
    ).properties(usermeta={"embedOptions": {"renderer": "canvas"}})


# -- the Sweep page -------------------------------------------------------------------------------------

SWEEP_SIZE = 215


def _edges(values: np.ndarray, log: bool) -> tuple[np.ndarray, np.ndarray]:
    """Cell edges halfway between neighbouring grid values (in log space for log axes)."""
    v = np.log10(values) if log else np.asarray(values, dtype=float)
    if len(v) == 1:
        half = 0.5 if log else max(abs(v[0]) * 0.05, 0.01)
        lo, hi = v - half, v + half
    else:
        mid = (v[1:] + v[:-1]) / 2
        lo = np.r_[v[0] - (mid[0] - v[0]), mid]
        hi = np.r_[mid, v[-1] + (v[-1] - mid[-1])]
    return (10**lo, 10**hi) if log else (lo, hi)


def sweep_cells(cells: pd.DataFrame, near_one: bool, log_y: bool
                ) -> tuple[pd.DataFrame, list[float], list[float]]:
    """Rectangles for one family's grid: lr edges (log) and the second axis's edges (1 − value, log, for
    β and momentum; log for ε; linear otherwise), plus a text ``status`` for the tooltip.

    Like the landscape's heatmap, each cell reaches a little into the next (``x3``, ``y3``) so that
    anti-aliasing leaves no seams. Returns the rectangles and the grid's true outer edges in x and y
    (the scales' domains)."""
    out = cells.copy()
    lrs = np.unique(cells["lr"])
    x_lo, x_hi = _edges(lrs, log=True)
    idx = np.searchsorted(lrs, cells["lr"])
    out["x"], out["x2"] = x_lo[idx], x_hi[idx] * (x_hi[idx] / x_lo[idx]) ** 0.15
    ys = np.unique(cells["value"])
    coord = 1.0 - ys if near_one else ys
    order = np.argsort(coord)
    log = near_one or log_y
    y_lo, y_hi = _edges(coord[order], log=log)
    pos = order.argsort()[np.searchsorted(ys, cells["value"])]
    out["y"] = y_lo[pos]
    out["y2"] = y_hi[pos] * (y_hi[pos] / y_lo[pos]) ** 0.15 if log else y_hi[pos] + 0.15 * (y_hi[pos] - y_lo[pos])
    out["status"] = np.where(np.isfinite(cells["score"]),
                             cells["diverged_seeds"].astype(str) + "/" + cells["seeds"].astype(str) + " seeds diverged",
                             "diverged")
    return out, [float(x_lo[0]), float(x_hi[-1])], [float(y_lo[0]), float(y_hi[-1])]


def sweep_heatmap(cells: pd.DataFrame, best: pd.DataFrame, family: str, param: str, near_one: bool, log_y: bool,
                  domain: tuple[float, float], legend: bool = True) -> alt.LayerChart:
    """One family's grid: score colour (log, shared ``domain``), diverged cells in black, the best cell ringed."""
    data, x_domain, (lo, hi) = sweep_cells(cells, near_one, log_y)
    data = compact(data)  # float32 and categories for the browser
    x_scale = alt.Scale(type="log", nice=False, domain=x_domain)
    y_scale = alt.Scale(type="log" if (near_one or log_y) else "linear", nice=False, zero=False, domain=[lo, hi])
    x = alt.X("x:Q", scale=x_scale, title="learning rate", axis=alt.Axis(format="~e", grid=False, tickCount=4))
    if near_one:  # β and momentum: a log scale of 1 − value, ticked and labelled at 0.5, 0.9, 0.99, 0.999
        ticks = [t for t in (0.5, 0.1, 0.01, 0.001) if lo <= t <= hi]
        y_axis = alt.Axis(grid=False, values=ticks, labelExpr="format(1 - datum.value, '.4~g')")
    else:
        y_axis = alt.Axis(grid=False, format="~e" if log_y else "~g")
    y = alt.Y("y:Q", scale=y_scale, title=param, axis=y_axis)
    tooltip = [alt.Tooltip("lr:Q", format=".3~g"), alt.Tooltip("value:Q", title=param, format=".4~g"),
               alt.Tooltip("score:Q", format=".3e"), alt.Tooltip("status:N")]
    ok = alt.Chart(data).transform_filter("isValid(datum.score)").mark_rect(strokeWidth=0, clip=True).encode(
        x=x, x2="x2:Q", y=y, y2="y2:Q", tooltip=tooltip,
        color=alt.Color("score:Q", scale=alt.Scale(type="log", scheme="viridis", domain=list(domain), clamp=True),
                        title="loss − min",
                        legend=alt.Legend(format=".0e", orient="bottom", direction="horizontal", gradientLength=150,
                                          tickCount=3) if legend else None),
    )
    bad = alt.Chart(data).transform_filter("!isValid(datum.score)").mark_rect(strokeWidth=0, clip=True).encode(
        x=x, x2="x2:Q", y=y, y2="y2:Q", tooltip=tooltip,
        color=alt.Color("status:N", scale=alt.Scale(domain=["diverged"], range=["#222222"]), title=None,
                        legend=alt.Legend(orient="bottom") if legend else None),
    )
    mine = best[best["family"] == family].assign(y=lambda d: 1.0 - d["value"] if near_one else d["value"])
    ring = alt.Chart(mine).mark_point(shape="circle", size=220, color="white", strokeWidth=3, filled=False).encode(
        x=alt.X("lr:Q", scale=x_scale), y=alt.Y("y:Q", scale=y_scale), tooltip=[
            alt.Tooltip("lr:Q", format=".3~g"), alt.Tooltip("value:Q", title=param, format=".4~g"),
            alt.Tooltip("score:Q", format=".3e")])
    return alt.layer(ok, bad, ring).resolve_scale(color="independent").properties(
        width=SWEEP_SIZE, height=SWEEP_SIZE, title=family)


def score_domain(scores: np.ndarray) -> tuple[float, float]:
    """The colour domain of the sweep: from the best score to the 90th percentile, in log space a robust
    top — a few cells that blew up to 1e274 without quite diverging would otherwise wash every other
    cell into one colour. Cells above the top take the top colour (the scale clamps)."""
    finite = scores[np.isfinite(scores)]
    if not len(finite):
        return 1e-16, 1.0
    lo, hi = float(finite.min()), float(np.quantile(finite, 0.9))
    return lo, hi if hi > lo else lo * 10


def sweep_chart(cells: pd.DataFrame, best: pd.DataFrame, axes: dict[str, str], near_one: set[str],
                log_axes: set[str]) -> alt.HConcatChart:
    """Every family's heatmap side by side, on one colour scale (the best cells ringed in white)."""
    domain = score_domain(cells["score"].to_numpy(dtype=float))
    families = list(cells["family"].unique())
    parts = [sweep_heatmap(cells[cells["family"] == f], best, f, axes[f], axes[f] in near_one, axes[f] in log_axes,
                           domain, legend=f == families[0]) for f in families]
    # Each heatmap sets the same explicit colour domain, so one legend (under the first) serves them all.
    return alt.hconcat(*parts).resolve_scale(color="independent").properties(autosize=PAD)
