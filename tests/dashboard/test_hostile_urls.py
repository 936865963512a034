"""Hostile URLs: whatever the query string, every page renders a valid view, warns, and never executes it.

Hypothesis throws query strings at each page through AppTest: unknown keys, huge numbers, NaN, inf,
negative sizes, very long strings, HTML and script fragments, repeated keys. Every example includes at
least one parameter the page cannot use, so a warning must list it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

PAGES = {
    "compare": ("dashboard/pages/compare.py", ["scenario", "steps", "seeds", "x0", "y0", "noise", "sigma", "pull",
                                               "batch_size", "sgd_on", "sgd_n", "sgd_lr", "sgd_momentum",
                                               "rprop_variant", "rprop_eta_plus", "rms_n", "rms_beta", "rms2_beta",
                                               "rms_eps", "rms_centered"]),
    "story": ("dashboard/pages/story.py", ["eta_plus", "eta_minus", "pull", "rms_beta", "steps", "seeds", "tut_lr",
                                           "tut_beta"]),
    "sweep": ("dashboard/pages/sweep.py", ["scenario", "noise", "sigma", "lr_min", "lr_max", "grid", "seeds",
                                           "steps", "metric", "sgd_on", "rms_axis", "rprop_axis"]),
}

NASTY = st.sampled_from([
    "nan", "NaN", "inf", "-inf", "1e309", "-1e309", "1e-400", "0", "-1", "-5", "99999999999999999999", "1e9",
    "", " ", "true", "FALSE", "abc", "0x10", "1,5", "½", "∞", "<script>alert(1)</script>", "<b>bold</b>",
    "[link](http://example.com)", "![img](http://example.com/x.png)", "`code`", "**strong**", "$$x$$",
    "x" * 2000, "rosenbrock", "minibatch-trap", "gaussian", "skewed", "irprop+", "0.99", "0.01", "1e-8", "40",
])
TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60)
VALUE = st.one_of(NASTY, TEXT, st.floats(allow_nan=True, allow_infinity=True).map(repr),
                  st.integers(min_value=-(10**30), max_value=10**30).map(str))


def queries(known: list[str]) -> st.SearchStrategy[dict[str, list[str]]]:
    key = st.one_of(st.sampled_from(known), st.sampled_from(["zz", "foo<b>", "Steps", "SEEDS", "x0 ", "🙂"]))
    values = st.lists(VALUE, min_size=1, max_size=3)
    junk = st.fixed_dictionaries({"not_a_setting": st.lists(VALUE, min_size=1, max_size=2)})
    return st.tuples(st.dictionaries(key, values, max_size=6), junk).map(lambda kv: {**kv[0], **kv[1]})


ROOT = Path(__file__).resolve().parents[2]


def run_page(path: str, query: dict[str, list[str]]) -> AppTest:
    at = AppTest.from_file(str(ROOT / path), default_timeout=180)
    for key, values in query.items():
        at.query_params[key] = values
    return at.run()


def assert_safe(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert at.get("vega_lite_chart"), "the page must still draw its charts"
    warnings = [w.value for w in at.warning]
    assert any("not_a_setting" in w for w in warnings), warnings
    for element in at.markdown:
        assert not element.proto.allow_html, "no markdown may be rendered as HTML"
    for w in warnings:
        for line in w.splitlines():
            if line.startswith("- "):
                # Every note starts with the offending parameter quoted in a single code span.
                assert re.match(r"- `[^`]*`: ", line), line


@pytest.mark.parametrize("page", list(PAGES))
def test_hostile_query_strings(page):
    path, known = PAGES[page]

    @settings(max_examples=5 if page != "compare" else 8, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(queries(known))
    def check(query):
        assert_safe(run_page(path, query))

    check()


@pytest.mark.parametrize("page", list(PAGES))
def test_a_hand_edited_url_gets_a_warning_and_the_nearest_valid_view(page):
    path, _ = PAGES[page]
    at = run_page(path, {"steps": ["999999"], "seeds": ["-3"], "zz": ["<script>alert(1)</script>"]})
    assert not at.exception
    text = "\n".join(w.value for w in at.warning)
    assert "zz=<script>alert(1)</script>" in text
    assert "`zz=<script>alert(1)</script>`" in text
    assert "steps=999999" in text
    assert "seeds=-3" in text
    steps = at.number_input(key="steps").value
    seeds = at.number_input(key="seeds").value
    assert steps == at.number_input(key="steps").proto.max
    assert seeds == 1
