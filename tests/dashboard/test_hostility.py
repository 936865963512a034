"""Numerical hostility: every scenario with absurd but allowed settings still yields a clean view.

Largest learning rates, smallest ε, β and momentum at the top of their sliders, the strongest noise:
runs may diverge, and then they must be reported — never crash, never warn, never put NaN or ±inf
into a chart or the summary."""

from __future__ import annotations

import io
import warnings

import numpy as np
import pyarrow as pa
import pytest

from dashboard import compute
from dashboard.compare_controls import config_controls, scenario_controls
from dashboard.settings import CompareSettings, OptimizerConfig
from scenarios import SCENARIOS


def top(family: str, name: str) -> float:
    """The largest value a Compare widget allows for this hyperparameter."""
    control = next(c for c in config_controls(family, 0) if c.key.endswith("_" + name))
    return control.options[-1] if control.kind == "options" else control.high


def bottom(family: str, name: str) -> float:
    control = next(c for c in config_controls(family, 0) if c.key.endswith("_" + name))
    return control.options[0] if control.kind == "options" else control.low


HOSTILE = (
    OptimizerConfig.of("SGD", lr=top("SGD", "lr"), momentum=top("SGD", "momentum"), nesterov=True),
    OptimizerConfig.of("SGD", lr=top("SGD", "lr"), weight_decay=top("SGD", "weight_decay")),
    OptimizerConfig.of("RProp", lr=top("RProp", "lr"), eta_plus=top("RProp", "eta_plus"),
                       step_max=top("RProp", "step_max"), variant="rprop+"),
    OptimizerConfig.of("RProp", lr=top("RProp", "lr"), eta_minus=bottom("RProp", "eta_minus"), variant="irprop+"),
    OptimizerConfig.of("RMSProp", lr=top("RMSProp", "lr"), eps=bottom("RMSProp", "eps"), beta=top("RMSProp", "beta"),
                       momentum=top("RMSProp", "momentum"), centered=True),
    OptimizerConfig.of("RMSProp", lr=top("RMSProp", "lr"), beta=bottom("RMSProp", "beta"),
                       eps=bottom("RMSProp", "eps")),
)


def strongest(key: str) -> tuple[tuple[str, object], ...]:
    """The scenario's noisiest allowed settings: skewed noise at the slider's top, the smallest batch."""
    values = {}
    for control in scenario_controls(SCENARIOS[key]):
        if control.key == "noise":
            values["noise"] = "skewed"
        elif control.key in ("sigma", "pull"):
            values[control.key] = control.options[-1] if control.kind == "options" else control.high
        elif control.key == "batch_size":
            values["batch_size"] = 1
    return tuple(sorted(values.items()))


def decoded(spec: dict) -> dict:
    return {name: pa.ipc.open_stream(io.BytesIO(payload)).read_all().to_pandas()
            for name, payload in spec["datasets"].items()}


@pytest.mark.parametrize("key", list(SCENARIOS))
def test_absurd_settings_render_cleanly(key):
    settings = CompareSettings(scenario=key, scenario_values=strongest(key), steps=300, seeds=4, configs=HOSTILE)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy warnings, pandas warnings, anything
        view = compute.compare_view(settings)
    for name, frame in decoded(view.chart).items():
        numbers = frame.select_dtypes("number").to_numpy(dtype=float)
        assert np.isfinite(numbers).all(), f"{key}: dataset {name} holds NaN or inf"
    numbers = view.summary.select_dtypes("number").to_numpy(dtype=float)
    assert not np.isinf(numbers).any(), f"{key}: the summary holds ±inf"
    race = compute.race(settings)
    diverged_configs = {label for label, d in zip(race.labels, race.diverged_at, strict=True) if (d >= 0).any()}
    reported = {sentence.split(":")[0] for sentence in view.diverged}
    assert reported == diverged_configs


def test_the_hostile_table_does_diverge_somewhere():
    # The table above would prove little if nothing ever diverged.
    settings = CompareSettings(scenario="rosenbrock", scenario_values=strongest("rosenbrock"), steps=300, seeds=4,
                               configs=HOSTILE)
    assert (compute.race(settings).diverged_at >= 0).any()
