"""dashboard/controls.py: the log grids, the URL codec of every control, the URL check and safe display.

The URL check is exercised on the Compare page's real controls (``compare_controls.controls_for_query``).
"""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dashboard import compare_controls, sweep_controls
from dashboard.controls import R10, Control, check_query, literal, log_grid, number_label
from dashboard.settings import MAX_PER_FAMILY, MAX_SEEDS, MAX_STEPS
from optimizers import REGISTRY

# -- log_grid ----------------------------------------------------------------------------------------


def test_lr_grid_holds_every_r10_value_of_every_decade():
    grid = log_grid(1e-4, 1.0)
    expected = [float(f"{m * 10.0**e:.3g}") for e in range(-4, 0) for m in R10] + [1.0]
    assert list(grid) == expected
    assert len(grid) == 41


@pytest.mark.parametrize(("low", "high", "value"), [
    (1e-4, 1.0, 0.01),  # lr: the tutorial's and RMSProp's default
    (1e-4, 1.0, 0.05),  # SGD's default on the Compare page
    (1e-12, 1.0, 1e-8),  # ε
    (1e-9, 1e-2, 1e-6),  # Δmin
    (1e-3, 100.0, 50.0),  # Δmax
])
def test_usual_defaults_are_on_the_grid(low, high, value):
    assert value in log_grid(low, high)


def test_every_log_declaration_default_is_on_its_slider_grid():
    for family, cls in REGISTRY.items():
        for hp in cls.hyperparameters:
            if hp.log:
                assert hp.default in log_grid(hp.ui_low, hp.ui_high), (family, hp.name)


@given(low_exp=st.floats(-13, 3), span=st.floats(0.0, 8.0))
def test_log_grid_is_sorted_within_bounds_and_made_of_r10_values(low_exp, span):
    low, high = 10.0**low_exp, 10.0 ** (low_exp + span)
    grid = log_grid(low, high)
    assert list(grid) == sorted(set(grid))
    assert all(low * (1 - 1e-9) <= v <= high * (1 + 1e-9) for v in grid)
    for v in grid:
        mantissa = v / 10.0 ** math.floor(math.log10(v) + 1e-12)
        assert any(math.isclose(mantissa, m, rel_tol=1e-9) for m in R10), v
    if span >= 1.0:
        assert len(grid) >= 10  # a whole decade holds all ten


# -- Control.parse / encode ----------------------------------------------------------------------------


def all_controls() -> list[Control]:
    """Every control of the Compare page (three configurations of each family) and the Sweep page."""
    raw = {"rms_n": [str(MAX_PER_FAMILY)], "sgd_n": [str(MAX_PER_FAMILY)], "rprop_n": [str(MAX_PER_FAMILY)]}
    out = {c.key: c for c in compare_controls.controls_for_query(raw)}
    for key in ("minibatch-trap", "least-squares"):  # pull, batch_size
        out.update({c.key: c for c in compare_controls.controls_for_query({"scenario": [key]})})
    out.update({f"sweep:{c.key}": c for c in sweep_controls.controls_for_query({})})
    return list(out.values())


CONTROLS = all_controls()


def test_every_kind_of_control_is_covered():
    assert {c.kind for c in CONTROLS} == {"options", "slider", "int", "choice", "flag"}


def values_of(control: Control) -> st.SearchStrategy:
    if control.kind in ("options", "choice"):
        return st.sampled_from(control.options)
    if control.kind == "flag":
        return st.booleans()
    if control.kind == "int":
        return st.integers(int(control.low), int(control.high))
    return st.floats(control.low, control.high)


@given(data=st.data())
@settings(max_examples=300)
def test_encode_then_parse_gives_the_value_back_unchanged(data):
    control = data.draw(st.sampled_from(CONTROLS))
    value = data.draw(values_of(control))
    text = control.encode(value)
    parsed, note = control.parse(text)
    assert parsed == value
    assert type(parsed) is type(value)
    assert note is None
    assert control.encode(parsed) == text  # canonical: a second round changes nothing
    assert check_query({control.key: [text]}, [control]) == check_query({}, [control])  # nothing to report


def test_defaults_are_valid_and_canonical():
    for control in CONTROLS:
        value, note = control.parse(control.encode(control.default))
        assert (value, note) == (control.default, None), control.key


def test_caps_of_the_settings_are_the_widgets_limits():
    by_key = {c.key: c for c in compare_controls.controls_for_query({})}
    assert by_key["steps"].high == MAX_STEPS
    assert by_key["seeds"].high == MAX_SEEDS
    assert by_key["rms_n"].high == MAX_PER_FAMILY


# -- check_query -----------------------------------------------------------------------------------------

NO_NOTE = None

# (raw query, parameters rewritten, parameters dropped, a regex every note must match in order, or NO_NOTE)
CASES = [
    pytest.param({"steps": ["300"], "sgd_lr": ["0.05"], "rms_on": ["false"]}, {}, (), NO_NOTE, id="canonical"),
    pytest.param({"foo": ["1"]}, {}, ("foo",), [r"^`foo=1`: not a setting of this page$"], id="unknown key"),
    pytest.param({"rms2_beta": ["0.9"]}, {}, ("rms2_beta",), [r"not a setting"], id="second config not enabled"),
    pytest.param({"rms_n": ["2"], "rms2_beta": ["0.9"]}, {}, (), NO_NOTE, id="second config enabled"),
    pytest.param({"steps": [""]}, {}, ("steps",), [r"^`steps=`: empty; using the default$"], id="empty"),
    pytest.param({"steps": [" "]}, {}, ("steps",), [r"empty"], id="blank"),
    pytest.param({"steps": []}, {}, ("steps",), [r"empty"], id="no value"),
    pytest.param({"steps": ["nan"]}, {}, ("steps",), [r"`steps=nan`: not a finite number"], id="nan"),
    pytest.param({"sgd_lr": ["NaN"]}, {}, ("sgd_lr",), [r"not a finite number"], id="nan lr"),
    pytest.param({"x0": ["inf"]}, {}, ("x0",), [r"not a finite number"], id="inf"),
    pytest.param({"rms_beta": ["-inf"]}, {}, ("rms_beta",), [r"not a finite number"], id="-inf"),
    pytest.param({"seeds": ["1e999"]}, {}, ("seeds",), [r"not a finite number"], id="overflowing number"),
    pytest.param({"steps": ["abc"]}, {}, ("steps",), [r"`steps=abc`: not a number; using the default"],
                 id="garbage"),
    pytest.param({"sgd_on": ["maybe"]}, {}, ("sgd_on",), [r"expected true or false"], id="garbage flag"),
    pytest.param({"scenario": ["nope"]}, {}, ("scenario",), [r"expected one of bowl, ravine"], id="garbage choice"),
    pytest.param({"steps": ["999999"]}, {"steps": "5000"}, (), [r"^`steps=999999`: outside \[10, 5000\]; using 5000$"],
                 id="steps clamped"),
    pytest.param({"steps": ["-5"]}, {"steps": "10"}, (), [r"outside \[10, 5000\]; using 10"], id="negative steps"),
    pytest.param({"seeds": ["0"]}, {"seeds": "1"}, (), [r"outside \[1, 32\]; using 1"], id="zero seeds"),
    pytest.param({"steps": ["10.5"]}, {"steps": "10"}, (), [r"not a whole number; using 10"], id="fractional"),
    pytest.param({"rms_beta": ["1.5"]}, {"rms_beta": "0.999"}, (), [r"outside \[0, 0.999\]; using 0.999"],
                 id="beta clamped"),
    pytest.param({"rms_beta": ["-0.1"]}, {"rms_beta": "0"}, (), [r"outside \[0, 0.999\]; using 0"], id="beta below"),
    pytest.param({"sgd_lr": ["0.011"]}, {"sgd_lr": "0.01"}, (), [r"not on the slider; using the nearest value 0\.01$"],
                 id="lr snapped"),
    pytest.param({"sgd_lr": ["0.035"]}, {"sgd_lr": "0.032"}, (), [r"nearest value 0\.032"], id="lr snapped in log"),
    pytest.param({"sgd_lr": ["7"]}, {"sgd_lr": "1"}, (), [r"nearest value 1$"], id="lr above the grid"),
    pytest.param({"sgd_lr": ["0"]}, {"sgd_lr": "0.0001"}, (), [r"nearest value 0\.0001"], id="lr zero"),
    pytest.param({"rms_eps": ["3e-9"]}, {"rms_eps": "3.2e-09"}, (), [r"nearest value 3\.2e-09"], id="eps snapped"),
    pytest.param({"sgd_lr": ["1e-2"]}, {"sgd_lr": "0.01"}, (), NO_NOTE, id="lr rewritten"),
    pytest.param({"sgd_lr": ["0.0100000001"]}, {"sgd_lr": "0.01"}, (), NO_NOTE, id="lr within rounding"),
    pytest.param({"rms_eps": ["1e-8"]}, {"rms_eps": "1e-08"}, (), NO_NOTE, id="eps rewritten"),
    pytest.param({"rms_beta": ["0.9000"]}, {"rms_beta": "0.9"}, (), NO_NOTE, id="beta rewritten"),
    pytest.param({"steps": ["1e3"]}, {"steps": "1000"}, (), NO_NOTE, id="steps rewritten"),
    pytest.param({"steps": [" 200 "]}, {"steps": "200"}, (), NO_NOTE, id="spaces"),
    pytest.param({"x0": ["-1.0"]}, {"x0": "-1"}, (), NO_NOTE, id="slider rewritten"),
    pytest.param({"sgd_on": ["TRUE"]}, {"sgd_on": "true"}, (), NO_NOTE, id="flag case"),
    pytest.param({"sgd_on": ["Off"]}, {"sgd_on": "false"}, (), NO_NOTE, id="flag word"),
    pytest.param({"scenario": ["Rosenbrock"]}, {"scenario": "rosenbrock"}, (), NO_NOTE, id="choice case"),
    pytest.param({"rprop_variant": ["IRPROP+"]}, {"rprop_variant": "irprop+"}, (), NO_NOTE, id="variant case"),
    pytest.param({"steps": ["100", "200"]}, {"steps": "200"}, (), [r"^`steps=200`: given 2 times; using the last$"],
                 id="repeated"),
    pytest.param({"steps": ["200", "200"]}, {"steps": "200"}, (), [r"given 2 times"], id="repeated, equal"),
    pytest.param({"steps": ["100", "999999"]}, {"steps": "5000"}, (),
                 [r"given 2 times; using the last, outside \[10, 5000\]; using 5000"], id="repeated and clamped"),
    pytest.param({"foo": ["1"], "steps": ["999999"], "sgd_lr": ["1e-2"]}, {"steps": "5000", "sgd_lr": "0.01"},
                 ("foo",), [r"^`foo=1`", r"^`steps=999999`"], id="several"),
]


@pytest.mark.parametrize(("raw", "rewrite", "drop", "notes"), CASES)
def test_check_query(raw, rewrite, drop, notes):
    report = check_query(raw, compare_controls.controls_for_query(raw))
    assert report.rewrite == rewrite
    assert report.drop == drop
    if notes is NO_NOTE:
        assert report.notes == ()
    else:
        assert len(report.notes) == len(notes), report.notes
        for note, pattern in zip(report.notes, notes, strict=True):
            assert re.search(pattern, note), note


def test_check_query_keeps_what_another_control_list_reads():
    raw = {"scenario": ["bowl"], "tab": ["x"]}
    report = check_query(raw, [compare_controls.STEPS], keep=("scenario", "tab"))
    assert report == check_query({}, [])


def test_check_query_reads_the_scenarios_own_settings():
    raw = {"scenario": ["least-squares"], "batch_size": ["500"], "sigma": ["1"]}
    report = check_query(raw, compare_controls.controls_for_query(raw))
    assert report.rewrite == {"batch_size": "120"}
    assert report.drop == ("sigma",)  # least squares has batches, not additive noise


# -- literal ---------------------------------------------------------------------------------------------


def assert_single_code_span(out: str, limit: int) -> str:
    assert out.startswith("`")
    assert out.endswith("`")
    assert out.count("`") == 2
    inner = out[1:-1]
    assert "\n" not in out
    assert "\r" not in out
    assert len(inner) <= limit
    return inner


@pytest.mark.parametrize(("text", "inner"), [
    ("steps=5", "steps=5"),
    ("a`b``c", "aʼbʼʼc"),  # a backtick would close the span
    ("<script>alert(1)</script>", "<script>alert(1)</script>"),  # inside a code span: shown, not run
    ("[link](http://x)", "[link](http://x)"),
    ("**bold** _it_ # h", "**bold** _it_ # h"),
    ("one\ntwo\r\nthree\tfour", "one two three four"),  # one line: no new list item, no heading
    ("x" * 100, "x" * 39 + "…"),
    ("`" * 100, "ʼ" * 39 + "…"),
])
def test_literal_neutralises_markdown_and_html(text, inner):
    assert assert_single_code_span(literal(text), 40) == inner


@given(text=st.text(max_size=200), limit=st.integers(2, 80))
def test_literal_is_always_one_short_code_span(text, limit):
    inner = assert_single_code_span(literal(text, limit), limit)
    flat = (" ".join(text.split()) or "(empty)").replace("`", "ʼ")  # an empty value is named, not hidden
    assert inner == flat if len(flat) <= limit else inner == flat[: limit - 1] + "…"


@given(key=st.text(min_size=1, max_size=30), value=st.one_of(st.text(max_size=80), st.just("a: `b`\n<i>c</i>")))
@settings(max_examples=200)
def test_every_note_starts_with_the_parameter_as_a_code_span(key, value):
    report = check_query({key: [value]}, compare_controls.controls_for_query({}))
    for note in report.notes:
        match = re.fullmatch(r"(`[^`]*`): ([^`\n]*)", note)  # the span, then our own words
        assert match, note
        assert_single_code_span(match.group(1), 40)


def test_number_label_is_the_short_form():
    assert [number_label(v) for v in (0.01, 1e-8, 50.0, 0.000125, 1.0)] == ["0.01", "1e-08", "50", "0.000125", "1"]
