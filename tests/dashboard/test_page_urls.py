"""Links: every page turns a bad query string into a warning and the nearest valid view, never a traceback or
HTML; a link reproduces the view it was made from; the pages reach each other through the navigation.

The tables name each bad parameter and the value the page must fall back to. (tests/dashboard/
test_hostile_urls.py throws random query strings at the pages; these are the cases spelled out.)
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from streamlit.testing.v1.element_tree import Markdown

from dashboard import compare_controls, sweep_controls
from dashboard.settings import MAX_PER_FAMILY, MAX_SEEDS, MAX_STEPS
from scenarios import SCENARIOS

QUICK = {"steps": "30", "seeds": "1"}
TRAP_X_HIGH = SCENARIOS["minibatch-trap"].bounds[0][1]


def widget(at, key: str) -> Any:
    """The value of the widget with this key, whatever its kind."""
    found = [w for w in (*at.sidebar, *at.main) if getattr(w, "key", None) == key and hasattr(w, "value")]
    assert len(found) == 1, f"one widget {key!r}"
    return found[0].value


def outside_code(text: str) -> str:
    """Markdown text with its code spans removed: what would be rendered as markdown."""
    return re.sub(r"`[^`]*`", "", text)


def assert_safe(at) -> None:
    """No element may render HTML, and text from the URL may appear only inside code spans."""
    for element in (*at.main, *at.sidebar):
        assert element.type != "html", "an st.html element"
        if isinstance(element, Markdown):
            assert not element.proto.allow_html, f"unsafe_allow_html on: {element.value[:80]!r}"
    for warning in at.warning:
        rendered = outside_code(warning.value)
        for marker in ("<", ">", "](", "javascript", "**"):
            assert marker not in rendered, f"{marker!r} outside a code span in the warning: {warning.value!r}"


def assert_canonical(query: dict[str, Any], controls) -> None:
    """After the URL check, every parameter left in the URL is a valid value in its canonical form."""
    by_key = {c.key: c for c in controls}
    for key, value in query.items():
        assert isinstance(value, str), f"{key} still repeated: {value!r}"
        assert key in by_key, f"{key} left in the URL but not a setting"
        parsed, note = by_key[key].parse(value)
        assert note is None, f"{key}={value}: {note}"
        assert by_key[key].encode(parsed) == value, f"{key}={value} is not canonical"


def check_bad_link(at, shown: str, key: str | None, expected: Any) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.warning) == 1, "one warning listing what was ignored"
    text = at.warning[0].value
    assert f"`{shown}" in text, f"{shown!r} not named in a code span: {text!r}"
    if key is not None:
        value = widget(at, key)
        assert value == (pytest.approx(expected) if isinstance(expected, float) else expected), key
    assert_safe(at)


# -- Compare ---------------------------------------------------------------------------------------------

SCRIPT = "<script>alert(1)</script>"
INJECTION = "`**x**`[a](javascript:alert(1))<img src=x onerror=alert(1)>"

COMPARE_CASES = [
    # (id, query, what the warning shows, widget key, the value it falls back to)
    ("unknown key", {"bogus": "1"}, "bogus=1", None, None),
    ("steps not a number", {"steps": "abc", "seeds": "1"}, "steps=abc", "steps", 500),
    ("steps negative", {"steps": "-5", "seeds": "1"}, "steps=-5", "steps", 10),
    ("steps huge", {"steps": "1e9", "seeds": "1"}, "steps=1e9", "steps", MAX_STEPS),
    ("steps fractional", {"steps": "12.7", "seeds": "1"}, "steps=12.7", "steps", 13),
    ("steps empty", {"steps": "", "seeds": "1"}, "steps=", "steps", 500),
    ("seeds zero", {"steps": "30", "seeds": "0"}, "seeds=0", "seeds", 1),
    ("seeds too many", {"steps": "30", "seeds": "500"}, "seeds=500", "seeds", MAX_SEEDS),
    ("seeds infinite", {"steps": "30", "seeds": "1e400"}, "seeds=1e400", "seeds", 8),
    ("scenario unknown", {**QUICK, "scenario": "nope"}, "scenario=nope", "scenario", "minibatch-trap"),
    ("lr nan", {**QUICK, "sgd_lr": "nan"}, "sgd_lr=nan", "sgd_lr", 0.05),
    ("lr infinite", {**QUICK, "sgd_lr": "-inf"}, "sgd_lr=-inf", "sgd_lr", 0.05),
    ("lr between slider values", {**QUICK, "sgd_lr": "0.0123"}, "sgd_lr=0.0123", "sgd_lr", 0.0125),
    ("beta above 1", {**QUICK, "rms_beta": "2"}, "rms_beta=2", "rms_beta", 0.999),
    ("start far away", {**QUICK, "x0": "1e308"}, "x0=1e308", "_x0_minibatch-trap", TRAP_X_HIGH),
    ("flag garbage", {**QUICK, "rprop_on": "maybe"}, "rprop_on=maybe", "rprop_on", True),
    ("variant unknown", {**QUICK, "rprop_variant": "rprop++"}, "rprop_variant=rprop++", "rprop_variant", "irprop-"),
    ("script in a choice", {**QUICK, "scenario": "bowl", "noise": SCRIPT}, f"noise={SCRIPT}", "noise", "none"),
    ("markdown and html", {**QUICK, "scenario": "bowl", "noise": INJECTION}, "noise=ʼ**x**ʼ", "noise", "none"),
    ("script as a key", {**QUICK, SCRIPT: "1"}, f"{SCRIPT}=1", None, None),
    ("repeated key", {"steps": ["50", "70"], "seeds": "1"}, "steps=70", "steps", 70),
    ("too many configurations", {**QUICK, "rms_n": "7"}, "rms_n=7", "rms_n", MAX_PER_FAMILY),
    ("a fourth configuration", {**QUICK, "rms_n": "3", "rms4_beta": "0.5"}, "rms4_beta=0.5", "rms_n", 3),
    ("batch size zero", {**QUICK, "scenario": "least-squares", "batch_size": "0"}, "batch_size=0", "batch_size", 1),
    ("pull negative", {**QUICK, "pull": "-3"}, "pull=-3", "pull", 0.1),
    ("another scenario's setting", {**QUICK, "sigma": "0.5"}, "sigma=0.5", None, None),
]


@pytest.mark.parametrize(("query", "shown", "key", "expected"), [c[1:] for c in COMPARE_CASES],
                         ids=[c[0] for c in COMPARE_CASES])
def test_compare_turns_a_bad_link_into_a_warning_and_a_valid_view(open_page, query, shown, key, expected):
    at = open_page("compare", query)
    check_bad_link(at, shown, key, expected)
    assert len(at.get("vega_lite_chart")) == 1, "the race is still drawn"
    # The URL now holds only valid, canonical values (the share link of what is shown).
    assert_canonical(at.query_params, compare_controls.controls_for_query(
        {k: [v] for k, v in at.query_params.items()}))


def test_a_repeated_key_is_reported_as_such(open_page):
    at = open_page("compare", {"steps": ["50", "70"], "seeds": "1"})
    assert "given 2 times" in at.warning[0].value
    assert at.query_params["steps"] == "70"


def test_a_long_value_is_shown_truncated(open_page):
    at = open_page("compare", {**QUICK, "scenario": "x" * 5000})
    assert not at.exception
    text = at.warning[0].value
    assert "x" * 5000 not in text
    assert "x" * 30 in text
    assert len(text) < 600


@pytest.mark.parametrize("query", [{"sgd_nesterov": "true"},
                                   {"sgd_nesterov": "true", "sgd_momentum": "0.9", "sgd_dampening": "0.5"}],
                         ids=["no momentum", "with dampening"])
def test_nesterov_without_its_conditions_is_a_warning_not_a_traceback(open_page, query):
    at = open_page("compare", {**QUICK, **query})
    assert not at.exception, "a traceback instead of a warning"
    assert at.warning
    assert "nesterov" in at.warning[0].value
    assert len(at.get("vega_lite_chart")) == 1


def test_switching_nesterov_on_shows_no_traceback(open_page):
    at = open_page("compare", QUICK)
    at.toggle(key="sgd_nesterov").set_value(True).run()
    assert not at.exception, "a traceback instead of a notice"
    assert at.get("vega_lite_chart") or at.warning or at.error or at.info


# -- Story and Sweep ------------------------------------------------------------------------------------

STORY_CASES = [
    ("steps below its minimum", {"steps": "1", "seeds": "1"}, "steps=1", "steps", 100),
    ("seeds huge", {"steps": "100", "seeds": "1e9"}, "seeds=1e9", "seeds", 32),
    ("pull not a number", {"steps": "100", "seeds": "1", "pull": "abc"}, "pull=abc", "pull", 0.9),
    ("lr negative", {"steps": "100", "seeds": "1", "tut_lr": "-1"}, "tut_lr=-1", "tut_lr", 1e-4),
    ("eta_plus too big", {"steps": "100", "seeds": "1", "eta_plus": "5"}, "eta_plus=5", "eta_plus", 2.0),
    ("beta nan", {"steps": "100", "seeds": "1", "rms_beta": "nan"}, "rms_beta=nan", "rms_beta", 0.99),
    ("unknown key", {"steps": "100", "seeds": "1", "sgd_lr": "0.1"}, "sgd_lr=0.1", None, None),
    ("script", {"steps": "100", "seeds": "1", "tut_beta": SCRIPT}, f"tut_beta={SCRIPT}", "tut_beta", 0.99),
]


@pytest.mark.parametrize(("query", "shown", "key", "expected"), [c[1:] for c in STORY_CASES],
                         ids=[c[0] for c in STORY_CASES])
def test_story_turns_a_bad_link_into_a_warning_and_a_valid_view(open_page, query, shown, key, expected):
    at = open_page("story", query)
    check_bad_link(at, shown, key, expected)
    assert len(at.get("vega_lite_chart")) == 6


SWEEP_BASE = {"grid": "10", "steps": "20", "seeds": "1", "sgd_on": "false", "rprop_on": "false"}
SWEEP_CASES = [
    ("metric unknown", {**SWEEP_BASE, "metric": "best"}, "metric=best", "metric", "last 10%"),
    ("grid not offered", {**SWEEP_BASE, "grid": "15"}, "grid=15", "grid", "20"),
    ("grid huge", {**SWEEP_BASE, "grid": "400"}, "grid=400", "grid", "20"),
    ("steps too few", {**SWEEP_BASE, "steps": "3"}, "steps=3", "steps", 10),
    ("seeds too many", {**SWEEP_BASE, "seeds": "99"}, "seeds=99", "seeds", 8),
    ("lr bound garbage", {**SWEEP_BASE, "lr_min": "abc"}, "lr_min=abc", "lr_min", 1e-4),
    ("axis unknown", {**SWEEP_BASE, "rms_axis": "bogus"}, "rms_axis=bogus", "rms_axis", "beta"),
    ("scenario unknown", {**SWEEP_BASE, "scenario": "nope"}, "scenario=nope", "scenario", "rosenbrock"),
    ("a Compare-only key", {**SWEEP_BASE, "rms_lr": "0.1"}, "rms_lr=0.1", None, None),
    ("script", {**SWEEP_BASE, "noise": SCRIPT}, f"noise={SCRIPT}", "noise", "gaussian"),
]


@pytest.mark.parametrize(("query", "shown", "key", "expected"), [c[1:] for c in SWEEP_CASES],
                         ids=[c[0] for c in SWEEP_CASES])
def test_sweep_turns_a_bad_link_into_a_warning_and_a_valid_view(open_page, query, shown, key, expected):
    at = open_page("sweep", query)
    check_bad_link(at, shown, key, expected)
    assert len(at.get("vega_lite_chart")) == 1
    assert_canonical(at.query_params, sweep_controls.controls_for_query(
        {k: [v] for k, v in at.query_params.items()}))


# -- a link reproduces the view ----------------------------------------------------------------------------


def test_a_link_reproduces_what_the_widgets_show(open_page, page_chart):
    by_widgets = open_page("compare", {"seeds": "2"})
    by_widgets.slider(key="pull").set_value(1.2).run()
    by_widgets.number_input(key="steps").set_value(80).run()
    by_widgets.select_slider(key="sgd_lr").set_value(0.1).run()
    by_widgets.selectbox(key="rprop_variant").set_value("rprop+").run()
    by_widgets.number_input(key="rms_n").set_value(2).run()
    by_widgets.slider(key="rms2_beta").set_value(0.9).run()
    assert not by_widgets.exception
    by_link = open_page("compare", {"seeds": "2", "pull": "1.2", "steps": "80", "sgd_lr": "0.1",
                                    "rprop_variant": "rprop+", "rms_n": "2", "rms2_beta": "0.9"})
    assert not by_link.exception
    assert not by_link.warning
    widgets, link = by_widgets.get("vega_lite_chart")[0], by_link.get("vega_lite_chart")[0]
    # Datasets are named by a hash of their content: the same names are the same data.
    assert set(page_chart.frames(widgets)) == set(page_chart.frames(link))
    assert page_chart.spec(widgets) == page_chart.spec(link)
    assert by_widgets.dataframe[0].value.equals(by_link.dataframe[0].value)
    assert "RProp rprop+" in by_link.dataframe[0].value["config"].tolist()


# -- navigation -------------------------------------------------------------------------------------------

PAGES = [("dashboard/pages/story.py", "From RProp to RMSProp", 6),
         ("dashboard/pages/sweep.py", "Sweep: each optimizer at its best", 1),
         ("dashboard/pages/compare.py", "Compare optimizers", 1)]


def test_every_page_is_reached_through_the_navigation(open_page):
    at = open_page("compare")
    assert [t.value for t in at.title] == ["Compare optimizers"]
    for path, title, charts in PAGES:
        at.switch_page(path).run()
        assert not at.exception, f"{path}: {[e.value for e in at.exception]}"
        assert [t.value for t in at.title] == [title], path
        assert len(at.get("vega_lite_chart")) == charts, path
