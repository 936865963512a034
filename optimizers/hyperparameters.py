"""One declaration per hyperparameter: the single source of truth for its range and its meaning.

A :class:`Hyperparameter` says what values are allowed (``low``/``high`` with open or closed ends, or a
tuple of ``choices``), how the value is best explored (``log`` scale or linear), a ``default``, a one-line
``help``, and the slice of the range a person usually wants to see (``ui_low``/``ui_high``, used by the
dashboard's sliders when the valid range is unbounded). The optimizers validate their arguments with
:meth:`Hyperparameter.validate`; the dashboard builds its widgets and URL codec from the same objects, so
a range is written down exactly once.

Error messages follow scikit-learn's parameter validation::

    The 'lr' parameter of RMSProp must be a float in the range [0, inf). Got -0.1 instead.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Real
from typing import Any

import numpy as np


def _fmt(x: float) -> str:
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return f"{x:g}"


@dataclass(frozen=True)
class Hyperparameter:
    """The declaration of one hyperparameter.

    Numeric hyperparameters (``choices is None``) accept a real number or an array of them, which the
    optimizer broadcasts against ``params`` (one value per run). Choice hyperparameters (flags and
    variants) accept exactly one of ``choices``.
    """

    name: str
    default: Any
    help: str
    low: float = -math.inf
    high: float = math.inf
    low_open: bool = False
    high_open: bool = False
    log: bool = False
    ui_low: float | None = None
    ui_high: float | None = None
    choices: tuple | None = None
    integer: bool = False  # a whole number (a count such as a batch size), never an array

    def __post_init__(self) -> None:
        if self.choices is None:
            object.__setattr__(self, "ui_low", self.low if self.ui_low is None else self.ui_low)
            object.__setattr__(self, "ui_high", self.high if self.ui_high is None else self.ui_high)

    @property
    def is_numeric(self) -> bool:
        return self.choices is None

    @property
    def range_text(self) -> str:
        """The allowed values in interval notation, e.g. ``(0, 1]``, or the list of choices."""
        if not self.is_numeric:
            return "{" + ", ".join(repr(c) for c in self.choices) + "}"
        left = "(" if self.low_open or math.isinf(self.low) else "["
        right = ")" if self.high_open or math.isinf(self.high) else "]"
        return f"{left}{_fmt(self.low)}, {_fmt(self.high)}{right}"

    def contains(self, x: np.ndarray | float) -> np.ndarray:
        """Elementwise: is ``x`` inside the declared range? NaN never is."""
        x = np.asarray(x, dtype=float)
        above = x > self.low if self.low_open else x >= self.low
        below = x < self.high if self.high_open else x <= self.high
        return above & below & np.isfinite(x)

    def error(self, owner: str, value: Any, what: str | None = None) -> ValueError:
        kind = "an integer" if self.integer else "a float or an array of floats" if self.is_numeric else "one of"
        where = f"in the range {self.range_text}" if self.is_numeric else self.range_text
        return ValueError(
            f"The {self.name!r} parameter of {owner} must be {what or kind} {where}. Got {value!r} instead."
        )

    def validate(self, value: Any, owner: str, what: str | None = None) -> Any:
        """Return ``value`` in canonical form (float, read-only float64 array, or choice), or raise.

        Raises:
            ValueError: naming the parameter, the offending value and the allowed range, for a value
                out of range, NaN, ±inf, or of the wrong type (bools and strings are not numbers).
        """
        if not self.is_numeric:
            # `True == 1` in Python, so compare types as well as values: 1 is not a valid flag.
            for choice in self.choices:
                # str choices accept str subclasses (numpy's str_); 1 and 1.0 are not True
                same_kind = isinstance(value, str) if isinstance(choice, str) else type(value) is type(choice)
                if same_kind and value == choice:
                    return choice
                if isinstance(choice, bool) and isinstance(value, np.bool_) and bool(value) == choice:
                    return choice
            raise self.error(owner, value)
        if self.integer:
            return self._validate_integer(value, owner)
        if isinstance(value, Real) and not isinstance(value, (bool, np.bool_)):
            try:
                number = float(value)
            except OverflowError:  # an int beyond float's range: out of every declared range
                raise self.error(owner, value, what) from None
            if not self.contains(number):
                raise self.error(owner, value, what)
            return number
        arr = self._as_float_array(value, owner)
        bad = ~self.contains(arr)
        if bad.any():
            raise self.error(owner, float(arr[bad][0]), what="a float or an array of floats, every value")
        arr.setflags(write=False)
        return arr

    def _validate_integer(self, value: Any, owner: str) -> int:
        whole = isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))
        if not whole or abs(value) > 2**53 or not self.contains(float(value)):
            raise self.error(owner, value)
        return int(value)

    def _as_float_array(self, value: Any, owner: str) -> np.ndarray:
        try:
            arr = np.array(value)  # a copy: the caller may mutate theirs later
        except (TypeError, ValueError, OverflowError):
            raise self.error(owner, value) from None
        if arr.dtype.kind not in "iuf" or arr.size == 0:
            raise self.error(owner, value)
        with np.errstate(over="ignore"):
            return arr.astype(float)  # an integer beyond float's range becomes inf, then fails the range check
