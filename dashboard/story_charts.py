"""Altair charts for the RProp → RMSProp story page (pure builders from the frames in ``story.py``)."""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import pandas as pd

from dashboard.charts import PAD, color_scale, colors

RPROP = colors(["RProp"])[0]  # RProp's colour on every page

WIDTH = 330
HEIGHT = 200
DRIFT_WIDTH = 520


def clean_signal_chart(frame: pd.DataFrame) -> alt.HConcatChart:
    """The weight moving towards 0, and its step size: ×η⁺ while the sign holds, ×η⁻ after a flip."""
    base = alt.Chart(frame).encode(x=alt.X("step:Q", title="step"))
    weight = base.mark_line(point=alt.OverlayMarkDef(color=RPROP), color=RPROP).encode(
        y=alt.Y("weight:Q", title="weight x"), tooltip=["step:Q", alt.Tooltip("weight:Q", format=".4g")]
    ).properties(width=WIDTH, height=HEIGHT, title="The weight")
    zero = alt.Chart(pd.DataFrame({"y": [0.0]})).mark_rule(color="gray", strokeDash=[4, 3]).encode(y="y:Q")
    sizes = base.transform_filter("datum.step_size > 0").mark_line(point=alt.OverlayMarkDef(color=RPROP),
                                                                    color=RPROP).encode(
        y=alt.Y("step_size:Q", title="|Δx| (log)", scale=alt.Scale(type="log"), axis=alt.Axis(format="~e")),
        tooltip=["step:Q", alt.Tooltip("step_size:Q", format=".4g")],
    ).properties(width=WIDTH, height=HEIGHT, title="Its step size")
    return alt.hconcat(alt.layer(weight, zero), sizes).properties(autosize=PAD)


def batch_gradient_chart(frame: pd.DataFrame) -> alt.Chart:
    """The ten batch gradients of one weight: nine small of one sign, one large of the other."""
    return alt.Chart(frame).mark_bar().encode(
        x=alt.X("batch:O", title="mini-batch"),
        y=alt.Y("gradient:Q", title="gradient at w = 0"),
        color=alt.condition("datum.gradient > 0", alt.value("#4c78a8"), alt.value("#e45756")),
        tooltip=["batch:O", alt.Tooltip("gradient:Q", format=".3f")],
    ).properties(width=220, height=HEIGHT, title="Ten batch gradients, summing to 0", autosize=PAD)


def drift_chart(frame: pd.DataFrame, labels: Sequence[str], median_minimiser: float) -> alt.LayerChart:
    """The weight averaged over each epoch, per optimizer, with the true minimum and the batches' median.

    The y axis is zoomed on the two reference lines; the first epochs, still on their way in from the
    start, leave the top of the chart."""
    span = max(abs(median_minimiser), 1e-3)
    y_scale = alt.Scale(domain=[-2.0 * span, 1.5 * span], nice=False)
    lines = alt.Chart(frame).mark_line(strokeWidth=2, clip=True).encode(
        x=alt.X("epoch:Q", title="epoch (10 batches)"),
        y=alt.Y("x:Q", title="weight x (epoch average)", scale=y_scale),
        color=alt.Color("config:N", scale=color_scale(labels), title=None, legend=alt.Legend(orient="top")),
        tooltip=["config:N", "epoch:Q", alt.Tooltip("x:Q", format=".4f")],
    )
    marks = pd.DataFrame({"y": [0.0, median_minimiser],
                          "what": ["true minimum: the mean of the batch minimisers", "median of the batch minimisers"]})
    rules = alt.Chart(marks).mark_rule(color="gray", strokeDash=[4, 3]).encode(y=alt.Y("y:Q", scale=y_scale),
                                                                               tooltip=["what:N"])
    # Labels at the left edge, where the runs are still on their way in, on a white halo.
    label = dict(align="left", dx=6, dy=-7, fontSize=11)
    halo = alt.Chart(marks).mark_text(color="white", stroke="white", strokeWidth=4, **label).encode(
        y=alt.Y("y:Q", scale=y_scale), x=alt.value(0), text="what:N")
    text = alt.Chart(marks).mark_text(color="#555555", **label).encode(
        y=alt.Y("y:Q", scale=y_scale), x=alt.value(0), text="what:N")
    return alt.layer(lines, rules, halo, text).properties(width=DRIFT_WIDTH, height=HEIGHT, autosize=PAD,
                                                    title="Where each optimizer drifts, epoch by epoch")


def beta_dial_chart(frame: pd.DataFrame, labels: Sequence[str]) -> alt.LayerChart:
    """RMSProp's settled bias against its memory 1/(1−β) (log), with SGD and RProp as reference lines."""
    colors = color_scale(labels)
    rms = frame[frame["config"] == "RMSProp"]
    refs = frame[frame["config"] != "RMSProp"].drop_duplicates("config")
    x = alt.X("memory:Q", scale=alt.Scale(type="log"), title="RMSProp's memory 1/(1 − β), in gradients")
    y = alt.Y("bias:Q", title="settled weight x")
    dial = alt.Chart(rms).mark_line(point=True, strokeWidth=2).encode(
        x=x, y=y, color=alt.Color("config:N", scale=colors, title=None, legend=alt.Legend(orient="top")),
        tooltip=[alt.Tooltip("beta:Q", title="β"), alt.Tooltip("memory:Q", format=".0f"),
                 alt.Tooltip("bias:Q", format=".4f")],
    )
    rules = alt.Chart(refs).mark_rule(strokeDash=[5, 3], strokeWidth=2).encode(
        y="bias:Q", color=alt.Color("config:N", scale=colors), tooltip=["config:N", alt.Tooltip("bias:Q", format=".4f")]
    )
    return alt.layer(dial, rules).properties(width=2 * WIDTH, height=HEIGHT + 40, autosize=PAD,
                                             title="The β dial: from sign descent to averaged SGD")
