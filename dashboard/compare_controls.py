"""The Compare page's settings: its controls (widgets bound to the URL) and how they make a settings object.

URL keys are short and readable: ``scenario``, ``steps``, ``seeds``, ``x0``/``y0`` (start), the scenario's
own settings (``noise``, ``sigma``, ``pull``, ``batch_size``), and per optimizer family a prefix
(``sgd``, ``rprop``, ``rms``): ``rms_on`` (enabled), ``rms_n`` (how many configurations) and
``rms_beta``, ``rms2_beta``, … for the hyperparameters of the first, second, … configuration.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from dashboard.controls import Control, from_declaration, nice_step
from dashboard.settings import (
    FAMILIES,
    MAX_PER_FAMILY,
    MAX_SEEDS,
    MAX_STEPS,
    PREFIX,
    CompareSettings,
    OptimizerConfig,
    family_defaults,
)
from optimizers import REGISTRY
from scenarios import SCENARIOS, Scenario

DEFAULT_SCENARIO = "minibatch-trap"

SCENARIO = Control("scenario", "Scenario", "choice", DEFAULT_SCENARIO,
                   "The landscape or data set to race on.", options=tuple(SCENARIOS))
STEPS = Control("steps", "Steps", "int", 500, f"Updates per run (at most {MAX_STEPS:,}).", low=10,
                high=MAX_STEPS, step=100)
SEEDS = Control("seeds", "Seeds", "int", 8, f"Independent runs per configuration, each with its own noise "
                f"(at most {MAX_SEEDS}); lines show the median and the 25–75 % band.", low=1, high=MAX_SEEDS)


def scenario_controls(scenario: Scenario) -> list[Control]:
    """The scenario's noise or batch settings, and its start point."""
    return [from_declaration(d, d.name, label=d.name.replace("_", " ")) for d in scenario.settings]


def start_controls(scenario: Scenario) -> list[Control]:
    """The start point, within the scenario's plot box (``x0``, ``y0`` in the URL)."""
    (x_lo, x_hi), (y_lo, y_hi) = scenario.bounds
    xname, yname = scenario.axis_names
    return [
        Control("x0", f"start {xname}", "slider", scenario.start[0], "Where every run starts.", low=x_lo,
                high=x_hi, step=nice_step(x_hi - x_lo)),
        Control("y0", f"start {yname}", "slider", scenario.start[1], "Where every run starts.", low=y_lo,
                high=y_hi, step=nice_step(y_hi - y_lo)),
    ]


def render_start(scenario: Scenario, container: Any) -> tuple[float, float]:
    """The start sliders, kept in the URL by hand rather than by ``bind``.

    Their range is the scenario's box, so a new scenario makes them new widgets, and a bound widget is
    re-seeded from the URL — the old scenario's start would win over the new one's. Unbound, their
    session keys are per scenario and ``x0``/``y0`` are ordinary query parameters, which the page may
    write and delete: a scenario switch or a reset simply deletes them."""
    point = []
    for control in start_controls(scenario):
        key = f"_{control.key}_{scenario.key}"
        if key not in st.session_state:
            raw = st.query_params.get_all(control.key)
            st.session_state[key] = control.parse(raw[-1])[0] if raw else control.default
        value = container.slider(control.label, min_value=float(control.low), max_value=float(control.high),
                                 step=control.step, format="%g", key=key, help=control.help)
        if value == control.default:
            if control.key in st.query_params:
                del st.query_params[control.key]
        elif st.query_params.get(control.key) != control.encode(value):
            st.query_params[control.key] = control.encode(value)
        point.append(float(value))
    return point[0], point[1]


def family_key(family: str, index: int, name: str) -> str:
    """``rms_beta`` for the first RMSProp configuration, ``rms2_beta`` for the second, …"""
    return f"{PREFIX[family]}{'' if index == 0 else index + 1}_{name}"


def family_switches(family: str) -> tuple[Control, Control]:
    p = PREFIX[family]
    return (
        Control(f"{p}_on", "race it", "flag", True, f"Include {family} in the race."),
        Control(f"{p}_n", "configurations", "int", 1, f"Run up to {MAX_PER_FAMILY} configurations of "
                f"{family} side by side.", low=1, high=MAX_PER_FAMILY),
    )


def config_controls(family: str, index: int, scenario: str | None = None) -> list[Control]:
    """The widgets of one configuration, defaulting to the family's defaults on ``scenario``."""
    defaults = family_defaults(family, scenario)
    return [from_declaration(d, family_key(family, index, d.name), label=d.name.replace("_", " "),
                             default=defaults[d.name]) for d in REGISTRY[family].hyperparameters]


def parsed_value(control: Control, raw: dict[str, list[str]]) -> Any:
    try:
        return control.parse(raw[control.key][-1])[0]
    except (KeyError, IndexError, ValueError):
        return control.default


def controls_for_query(raw: dict[str, list[str]]) -> list[Control]:
    """Every control the page will draw for this raw query (which scenario, how many configurations)."""
    key = parsed_value(SCENARIO, raw)
    out = [SCENARIO, STEPS, SEEDS, *scenario_controls(SCENARIOS[key]), *start_controls(SCENARIOS[key])]
    for family in FAMILIES:
        on, n = family_switches(family)
        out += [on, n]
        for index in range(parsed_value(n, raw)):
            out += config_controls(family, index, key)
    return out


def render() -> tuple[CompareSettings, list[str]]:
    """Draw the settings (sidebar); return the validated settings they describe, and notes on what had
    to be adjusted to make them consistent (for the page to show)."""
    notes: list[str] = []
    sidebar = st.sidebar
    scenario_key = SCENARIO.render(sidebar, on_change=_scenario_changed)
    st.session_state[_SHOWN] = scenario_key  # what the callbacks of the next run compare against
    scenario = SCENARIOS[scenario_key]
    all_controls = [SCENARIO]
    values: dict[str, Any] = {}
    # One container for however many settings this scenario has, so that every later widget keeps its
    # position in the sidebar. (When a scenario switch shifted them, Streamlit 1.67 re-used a widget's
    # front-end component for its new neighbour, and those widgets stopped writing to the URL.)
    settings_box = sidebar.container()
    for control in scenario_controls(scenario):
        on_change = _noise_changed if control.key == "noise" else None
        values[control.key] = control.render(settings_box, on_change=on_change)
        all_controls.append(control)
    start = render_start(scenario, sidebar)
    steps = STEPS.render(sidebar)
    seeds = SEEDS.render(sidebar)
    all_controls += [STEPS, SEEDS]
    configs = []
    for family in FAMILIES:
        with sidebar.expander(family, expanded=False):
            on, count = family_switches(family)
            enabled = on.render()
            n = count.render()
            all_controls += [on, count]
            for index in range(n):
                box = st.container()  # the same positions for a configuration's widgets whatever n is
                if n > 1:
                    box.caption(f"Configuration {index + 1}")
                controls = config_controls(family, index, scenario_key)
                hyper = {c.key.split("_", 1)[1]: c.render(box) for c in controls}
                all_controls += controls
                if enabled:
                    config, note = consistent(family, hyper)
                    configs.append(config)
                    notes += [note] if note else []
    sidebar.button("Reset to defaults", on_click=_reset, args=(all_controls,), width="stretch")
    return CompareSettings(
        scenario=scenario_key,
        scenario_values=tuple(sorted(values.items())),
        steps=int(steps),
        seeds=int(seeds),
        start=start,
        configs=tuple(configs),
    ), notes


def consistent(family: str, hyper: dict[str, Any]) -> tuple[OptimizerConfig, str | None]:
    """The configuration, with the two rules that tie hyperparameters together kept, and a note if one
    had to be enforced.

    Each widget is valid on its own, but Nesterov momentum needs momentum > 0 and no dampening, and
    RProp's smallest step may not exceed its largest. Rather than fail, run the nearest valid
    configuration and say what was changed."""
    note = None
    if family == "SGD" and hyper["nesterov"] and (hyper["momentum"] <= 0 or hyper["dampening"] != 0):
        hyper = {**hyper, "nesterov": False}
        note = "SGD's nesterov needs momentum > 0 and dampening 0: SGD runs without Nesterov momentum."
    if family == "RProp" and hyper["step_min"] > hyper["step_max"]:
        hyper = {**hyper, "step_min": hyper["step_max"], "step_max": hyper["step_min"]}
        note = "RProp's step_min exceeded its step_max: the two are swapped."
    return OptimizerConfig.of(family, **hyper), note


_SHOWN = "_compare_scenario_shown"


def _noise_changed() -> None:
    """Noise switched on while σ is 0 would change nothing: start σ at the landscape's noise scale."""
    if st.session_state.get("noise", "none") != "none" and st.session_state.get("sigma", 0.0) == 0.0:
        problem = SCENARIOS[st.session_state[SCENARIO.key]].problem
        st.session_state["sigma"] = problem.noise_scale


def _scenario_changed() -> None:
    """A new scenario brings its own start and settings (reset those) and its suggested hyperparameters
    (applied where the widget still holds the previous scenario's default, i.e. the user left it alone)."""
    new = st.session_state[SCENARIO.key]
    old = st.session_state.get(_SHOWN, new)
    shown_before = {c.key for c in scenario_controls(SCENARIOS[old])}
    for control in scenario_controls(SCENARIOS[new]):
        # Only widgets already on screen need resetting; writing the state of a widget that does not
        # exist yet breaks its binding to the URL (and, in Streamlit 1.67, the next widgets' too).
        if control.key in shown_before:
            st.session_state[control.key] = control.default
    for control in start_controls(SCENARIOS[new]):
        st.session_state.pop(f"_{control.key}_{new}", None)
        if control.key in st.query_params:
            del st.query_params[control.key]
    for family in FAMILIES:
        n = int(st.session_state.get(family_switches(family)[1].key, 1))
        for index in range(n):
            pairs = zip(config_controls(family, index, old), config_controls(family, index, new), strict=True)
            for before, after in pairs:
                untouched = st.session_state.get(before.key, before.default) == before.default
                if before.default != after.default and untouched:
                    st.session_state[after.key] = after.default


def _reset(controls: list[Control]) -> None:
    """Every setting back to its default (the scenario's own start and settings included)."""
    shown = st.session_state.get(_SHOWN)
    for control in controls:
        st.session_state[control.key] = control.default
    st.session_state[_SHOWN] = shown
    _scenario_changed()
