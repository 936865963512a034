"""The dashboard in a real browser: pages load and draw, widgets redraw, the URL is the share link, a hostile
URL is survived, and hovering a step marks it on the landscape.

One Streamlit server and one headless Chromium serve the whole module (see conftest.py); every test opens
its own browser context, i.e. its own Streamlit session. Run them with ``python -m pytest -m e2e``.
"""

from __future__ import annotations

import os

import pytest

if not os.path.exists("/usr/bin/chromium"):
    pytest.skip("e2e tests need Debian's chromium at /usr/bin/chromium (apt-get install chromium)",
                allow_module_level=True)
playwright = pytest.importorskip("playwright.sync_api", reason="e2e tests need the playwright Python package "
                                 "(pip install -r requirements-dev.txt)")

pytestmark = pytest.mark.e2e

EXCEPTION = "[data-testid=stException]"
WARNING = "[data-testid=stAlertContentWarning]"
CHART = "[data-testid=stVegaLiteChart]"
FAMILIES = ("SGD", "RProp", "RMSProp")

# A hash of the pixels in the left `fraction` of the Compare chart's canvas. The landscape occupies roughly the
# left 45 %, the loss chart the upper right.
CANVAS_PIXELS = """(fraction) => {
  const canvas = document.querySelector('[data-testid=stVegaLiteChart] canvas.marks');
  const w = Math.floor(canvas.width * fraction), h = canvas.height;
  const data = canvas.getContext('2d').getImageData(0, 0, w, h).data;
  let hash = 0;
  for (let i = 0; i < data.length; i += 4) hash = (hash * 31 + data[i] + 7 * data[i + 1] + 13 * data[i + 2]) | 0;
  return hash;
}"""
LANDSCAPE = 0.45


def sidebar_number(app, label: str):
    return app.page.locator(f'[data-testid=stSidebar] [data-testid=stNumberInput] input[aria-label="{label}"]')


def set_number(app, label: str, value: int) -> None:
    """Type a value into a sidebar number input and commit it with Enter, as a person would."""
    field = sidebar_number(app, label)
    field.fill(str(value))
    field.press("Enter")


def choose(app, label: str, option: str) -> None:
    """Pick ``option`` in the sidebar select box labelled ``label``."""
    box = app.page.locator("[data-testid=stSidebar] [data-testid=stSelectbox]").filter(has_text=label).first
    box.click()
    app.page.get_by_role("option", name=option, exact=True).click()


def assert_healthy(app) -> None:
    """No exception box and no uncaught JavaScript error. (The app hides error details from the browser,
    so the server's log says what went wrong.)"""
    exceptions = app.page.locator(EXCEPTION).all_inner_texts()
    assert not exceptions, f"exception on the page: {exceptions}\nserver log:\n{app.server.log_tail()}"
    assert not app.errors, f"page errors: {app.errors}"


def chart_box(app) -> dict:
    box = app.page.locator(f"{CHART} canvas.marks").first.bounding_box()
    assert box is not None, "the chart has no canvas"
    assert box["width"] > 0, f"the chart has no size: {box}"
    assert box["height"] > 0, f"the chart has no size: {box}"
    return box


def test_compare_page_loads_and_draws(app_page):
    app_page.open("/")
    assert app_page.page.locator(CHART).count() == 1
    chart_box(app_page)
    text = app_page.table_text()
    for family in FAMILIES:
        assert family in text, f"{family} missing from the summary table: {text!r}"
    assert app_page.page.locator(WARNING).count() == 0, "a plain link should not warn"
    assert_healthy(app_page)


def test_changing_a_widget_redraws_and_writes_the_url(app_page):
    app_page.open("/")
    before_text = app_page.table_text()
    before_pixels = app_page.page.evaluate(CANVAS_PIXELS, 1.0)
    before = app_page.runs_finished()
    set_number(app_page, "Steps", 700)
    app_page.wait_rerun(before)
    app_page.page.wait_for_function(f"([old, f]) => ({CANVAS_PIXELS})(f) !== old", arg=[before_pixels, 1.0],
                                    timeout=30_000)  # the chart was redrawn (700 steps: a longer step axis)
    assert "steps=700" in app_page.page.url, f"the URL does not hold the new value: {app_page.page.url}"
    assert sidebar_number(app_page, "Steps").input_value() == "700"
    app_page.page.wait_for_function(
        "(old) => { const t = document.querySelector('[data-testid=stDataFrame] table'); "
        "return t && t.innerText !== old; }", arg=before_text, timeout=30_000)
    after_text = app_page.table_text()
    assert after_text != before_text
    for family in FAMILIES:
        assert family in after_text
    chart_box(app_page)
    assert_healthy(app_page)


def test_the_url_is_the_share_link(new_app_page):
    first = new_app_page()
    first.open("/")
    before = first.runs_finished()
    choose(first, "Scenario", "rosenbrock")
    first.wait_rerun(before)
    before = first.runs_finished()
    set_number(first, "Seeds", 3)
    first.wait_rerun(before)
    # A widget inside an optimizer's expander, after the scenario switch changed the sidebar above it
    # (this once stopped writing to the URL: Streamlit re-used a shifted widget's front-end component).
    rms = first.page.locator("[data-testid=stSidebar] [data-testid=stExpander]").filter(has_text="RMSProp").first
    rms.locator("summary").click()
    before = first.runs_finished()
    configurations = rms.locator("[data-testid=stNumberInput] input").first
    configurations.fill("2")
    configurations.press("Enter")
    first.wait_rerun(before)
    url = first.page.url
    assert "scenario=rosenbrock" in url, url
    assert "seeds=3" in url, url
    assert "rms_n=2" in url, url
    shared = first.table_text(contains="0/3")  # "diverged: 0/3", once the table shows the new seeds
    assert "SGD" in shared

    second = new_app_page()  # a new browser context: nothing shared but the link
    second.open(url[len(second.base_url):])
    assert second.table_text() == shared
    assert second.page.locator(WARNING).count() == 0, "the app's own link should not warn"
    assert second.page.url == url, "opening the link must not rewrite it"
    assert_healthy(first)
    assert_healthy(second)


@pytest.mark.parametrize(("path", "charts"), [("/story", 6), ("/sweep?grid=10&steps=50&seeds=2", 1)])
def test_story_and_sweep_pages_draw(app_page, path, charts):
    app_page.open(path, charts=charts)
    assert app_page.page.locator(CHART).count() == charts
    assert app_page.page.locator(WARNING).count() == 0, app_page.page.locator(WARNING).all_inner_texts()
    if "?" in path:
        query = path.split("?", 1)[1]
        assert app_page.page.url.endswith("?" + query), f"valid settings were rewritten: {app_page.page.url}"
    assert_healthy(app_page)


def test_a_hand_edited_bad_url_warns_and_still_draws(app_page):
    app_page.open("/?steps=abc&scenario=nope&foo=<b>x</b>")
    warning = app_page.page.locator(WARNING)
    warning.first.wait_for()
    text = warning.first.inner_text()
    for key in ("steps", "scenario", "foo"):
        assert key in text, f"the warning does not mention {key}: {text!r}"
    assert "foo=<b>x</b>" in text, f"the bad value should be shown as literal text: {text!r}"
    html = warning.first.inner_html()
    assert "<b>" not in html.lower(), f"HTML from the URL was rendered: {html}"
    assert warning.first.locator("b").count() == 0
    assert app_page.page.locator("[data-testid=stMain] b").filter(has_text="x").count() == 0
    for bad in ("steps=abc", "scenario=nope", "foo="):
        assert bad not in app_page.page.url, f"the bad parameter stayed in the URL: {app_page.page.url}"
    chart_box(app_page)
    assert "SGD" in app_page.table_text()
    assert_healthy(app_page)



def test_hovering_a_step_marks_the_iterates_on_the_landscape(app_page):
    app_page.open("/")
    box = chart_box(app_page)
    page = app_page.page
    page.mouse.move(box["x"] + 5, box["y"] + box["height"] - 5)  # a corner of the canvas: nothing to hover
    page.wait_for_timeout(300)
    quiet = page.evaluate(CANVAS_PIXELS, LANDSCAPE)
    page.wait_for_timeout(300)
    assert page.evaluate(CANVAS_PIXELS, LANDSCAPE) == quiet, "the landscape changes on its own: this test is void"
    marked = False
    for fx, fy in ((0.72, 0.25), (0.62, 0.3), (0.82, 0.2)):
        page.mouse.move(box["x"] + fx * box["width"], box["y"] + fy * box["height"], steps=4)
        try:
            page.wait_for_function(f"([quiet, f]) => ({CANVAS_PIXELS})(f) !== quiet", arg=[quiet, LANDSCAPE],
                                   timeout=3_000)
        except playwright.TimeoutError:  # try the next point; the assertion below says what failed
            continue
        marked = True
        break
    assert marked, "hovering the loss chart changed nothing on the landscape"
    assert_healthy(app_page)
