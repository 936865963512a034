"""Widgets bound to the URL, generated from declarations, and the check that makes any URL safe.

A :class:`Control` describes one widget: its key (which is also its query parameter, Streamlit's
``bind="query-params"``), its kind, default and allowed values. Controls are made from the optimizers'
and scenarios' :class:`~optimizers.Hyperparameter` declarations, so a range is written once.

Streamlit silently drops a query parameter its widget cannot take. Before any widget exists we therefore
read the raw query string ourselves (:func:`sanitize`): every parameter is parsed leniently, snapped or
clamped to the nearest valid value where there is one, rewritten in the canonical form the widget
expects, or dropped — and each change is reported, so the page can show a warning listing what was
ignored. Nothing from the URL is ever rendered as HTML or markdown (see :func:`literal`).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import streamlit as st
from streamlit.errors import StreamlitAPIException

from optimizers import Hyperparameter

#: Mantissas of the log-scale sliders, ten per decade (the Renard R10 series, rounded): every decade
#: holds 1, 2, 4, 5 and 8, so the usual defaults (0.01, 0.05, 1e-8, 50) are all on the grid.
R10 = (1.0, 1.25, 1.6, 2.0, 2.5, 3.2, 4.0, 5.0, 6.3, 8.0)


def log_grid(low: float, high: float) -> tuple[float, ...]:
    """The R10 values between ``low`` and ``high`` (inclusive), rounded to 3 significant digits."""
    values = []
    for exponent in range(math.floor(math.log10(low)) - 1, math.ceil(math.log10(high)) + 1):
        for m in R10:
            v = float(f"{m * 10.0**exponent:.3g}")
            if low * (1 - 1e-9) <= v <= high * (1 + 1e-9):
                values.append(v)
    return tuple(values)


def number_label(value: float) -> str:
    """How a number appears in a URL and on a slider: short (``0.01``, ``1e-08``, ``50``)."""
    return f"{value:g}"


@dataclass(frozen=True)
class Control:
    """One URL-bound widget. ``kind`` is one of:

    * ``"options"``: a select slider over ``options`` (a log grid, or explicit values);
    * ``"slider"``: a float slider over [``low``, ``high``] in steps of ``step``;
    * ``"int"``: a whole number in [``low``, ``high``];
    * ``"choice"``: a select box over string ``options``;
    * ``"flag"``: a toggle.
    """

    key: str
    label: str
    kind: str
    default: Any
    help: str = ""
    options: tuple = ()
    low: float = 0.0
    high: float = 1.0
    step: float | None = None
    format: Callable[[Any], str] = str

    def encode(self, value: Any) -> str:
        """The canonical URL form of ``value``, exactly as Streamlit writes and reads it."""
        if self.kind == "flag":
            return "true" if value else "false"
        if self.kind == "options":
            return self.format(value)
        if self.kind in ("slider", "int"):
            return str(int(value)) if float(value).is_integer() else repr(float(value))
        return str(value)

    def parse(self, raw: str) -> tuple[Any, str | None]:
        """Lenient parse of one raw URL value. Returns ``(value, note)``: the nearest valid value and a
        note if it had to be changed, or raises ValueError saying why there is no valid value."""
        text = raw.strip()
        if self.kind == "flag":
            lowered = text.lower()
            if lowered in ("true", "1", "yes", "on"):
                return True, None
            if lowered in ("false", "0", "no", "off"):
                return False, None
            raise ValueError("expected true or false")
        if self.kind == "choice":
            for option in self.options:
                if text.lower() == str(option).lower():
                    return option, None
            raise ValueError("expected one of " + ", ".join(str(o) for o in self.options))
        try:
            number = float(text)
        except ValueError:
            raise ValueError("not a number") from None
        if not math.isfinite(number):
            raise ValueError("not a finite number")
        if self.kind == "options":
            nearest = min(self.options, key=lambda o: abs(math.log(o / number)) if number > 0 and o > 0
                          else abs(o - number))
            close = math.isclose(nearest, number, rel_tol=1e-6, abs_tol=1e-300)
            return nearest, None if close else f"not on the slider; using the nearest value {self.format(nearest)}"
        if self.kind == "int":
            if not number.is_integer():
                number = round(number)
                note = f"not a whole number; using {int(number)}"
            else:
                note = None
            clamped = min(max(int(number), int(self.low)), int(self.high))
            if clamped != number:
                note = f"outside [{int(self.low)}, {int(self.high)}]; using {clamped}"
            return clamped, note
        clamped = min(max(number, self.low), self.high)
        if clamped != number:
            return clamped, f"outside [{self.low:g}, {self.high:g}]; using {clamped:g}"
        return number, None

    def render(self, container: Any = st, on_change: Callable[[], None] | None = None) -> Any:
        """Draw the widget (bound to the URL) and return its value."""
        common = dict(key=self.key, help=self.help or None, bind="query-params", on_change=on_change)
        if self.kind == "options":
            return container.select_slider(self.label, options=self.options, value=self.default,
                                           format_func=self.format, **common)
        if self.kind == "slider":
            return container.slider(self.label, min_value=float(self.low), max_value=float(self.high),
                                    value=float(self.default), step=self.step, format="%g", **common)
        if self.kind == "int":
            return container.number_input(self.label, min_value=int(self.low), max_value=int(self.high),
                                          value=int(self.default), step=int(self.step or 1), **common)
        if self.kind == "choice":
            return container.selectbox(self.label, options=self.options,
                                       index=list(self.options).index(self.default), format_func=self.format,
                                       **common)
        return container.toggle(self.label, value=bool(self.default), **common)


def from_declaration(decl: Hyperparameter, key: str, label: str | None = None, default: Any = None) -> Control:
    """The widget for a hyperparameter: log slider, linear slider, whole number, select box or toggle."""
    value = decl.default if default is None else default
    label = label or decl.name
    if decl.choices is not None:
        if all(isinstance(c, bool) for c in decl.choices):
            return Control(key, label, "flag", bool(value), decl.help)
        return Control(key, label, "choice", value, decl.help, options=tuple(decl.choices))
    if decl.integer:
        return Control(key, label, "int", int(value), decl.help, low=decl.ui_low, high=decl.ui_high, step=1)
    if decl.log:
        grid = log_grid(decl.ui_low, decl.ui_high)
        if value not in grid:
            grid = tuple(sorted({*grid, float(value)}))
        return Control(key, label, "options", float(value), decl.help, options=grid, format=number_label)
    low, high = float(decl.ui_low), float(decl.ui_high)
    step = nice_step(high - low)
    return Control(key, label, "slider", float(value), decl.help, low=low, high=high, step=step)


def nice_step(span: float) -> float:
    """A step giving at least ~100 positions across ``span`` (0.001 for β in [0, 0.999])."""
    return float(10.0 ** math.floor(math.log10(span / 100.0))) if span > 0 else 1.0


# -- the URL check ---------------------------------------------------------------------------------


def literal(text: str, limit: int = 40) -> str:
    """Show untrusted text safely inside markdown: truncated, in a code span (no HTML, no links)."""
    flat = " ".join(str(text).split()) or "(empty)"
    if len(flat) > limit:
        flat = flat[: limit - 1] + "…"
    return "`" + flat.replace("`", "ʼ") + "`"


@dataclass(frozen=True)
class Report:
    """What :func:`check_query` decided: parameters to rewrite (canonical strings), to drop, and why."""

    rewrite: dict[str, str]
    drop: tuple[str, ...]
    notes: tuple[str, ...]


def check_query(raw: dict[str, list[str]], controls: Iterable[Control], keep: Sequence[str] = ()) -> Report:
    """Check raw query parameters against the page's controls (pure; see :func:`sanitize`).

    ``keep`` are parameters the page does not own but must not drop (e.g. the scenario key on a page
    where it is read by another control list).
    """
    by_key = {c.key: c for c in controls}
    rewrite: dict[str, str] = {}
    drop: list[str] = []
    notes: list[str] = []
    for key, values in raw.items():
        shown = literal(f"{key}={values[-1] if values else ''}")
        if key in keep:
            continue
        control = by_key.get(key)
        if control is None:
            drop.append(key)
            notes.append(f"{shown}: not a setting of this page")
            continue
        if not values or values[-1].strip() == "":
            drop.append(key)
            notes.append(f"{shown}: empty; using the default")
            continue
        try:
            value, note = control.parse(values[-1])
        except ValueError as error:
            drop.append(key)
            notes.append(f"{shown}: {error}; using the default")
            continue
        if len(values) > 1:
            note = f"given {len(values)} times; using the last" + (f", {note}" if note else "")
        canonical = control.encode(value)
        if canonical != values[-1] or len(values) > 1:
            rewrite[key] = canonical
        if note:
            notes.append(f"{shown}: {note}")
    return Report(rewrite, tuple(drop), tuple(notes))


def raw_query() -> dict[str, list[str]]:
    return {key: st.query_params.get_all(key) for key in st.query_params}


def sanitize(page: str, controls: Callable[[dict[str, list[str]]], list[Control]], keep: Sequence[str] = ()
             ) -> tuple[str, ...]:
    """Make the URL valid for ``page`` before its widgets read it; return the notes to show.

    Runs whenever the session enters the page: on a page load (a hand-edited URL is a new session), and
    after in-app navigation, which carries over the parameters the two pages share (``scenario``,
    ``steps``, …) even where their ranges differ. Parameters are rewritten or dropped through
    ``st.query_params`` and the script reruns, so the widgets are seeded from the cleaned URL.
    ``controls`` receives the raw query (so a page can decide, say, which scenario's settings exist) and
    returns the page's controls.
    """
    if st.session_state.get(_PAGE) != page:
        st.session_state[_PAGE] = page
        raw = raw_query()
        report = check_query(raw, controls(raw), keep)
        st.session_state[f"_url_notes_{page}"] = report.notes
        changes = [(key, None) for key in report.drop] + list(report.rewrite.items())
        if changes:
            for key, value in changes:
                # A parameter still bound to the previous page's widget cannot be written in this run;
                # Streamlit drops or re-seeds those itself.
                with contextlib.suppress(StreamlitAPIException):
                    if value is None:
                        del st.query_params[key]
                    else:
                        st.query_params[key] = value
            st.rerun()
    return st.session_state.get(f"_url_notes_{page}", ())


_PAGE = "_url_checked_page"


def show_notes(notes: Sequence[str], adjusted: Sequence[str] = ()) -> None:
    """The URL check's notes, as one warning; then each setting the page had to adjust to run at all."""
    if notes:
        st.warning("Some settings in the link could not be used as given:\n\n" +
                   "\n".join(f"- {n}" for n in notes), icon="⚠️")
    for note in adjusted:
        st.warning(note, icon="⚠️")
