"""Fused multiply-add in numpy, so that our updates round exactly as PyTorch's CPU kernels do.

PyTorch's CPU kernels for ``add(x, alpha=a)``, ``addcmul`` and ``lerp`` evaluate ``a * x + y`` with a
fused multiply-add, rounding once instead of twice (checked on torch 2.13, x86-64, every tensor size).
numpy has no FMA, and ``a * x + y`` in numpy differs from it in the last bit about half the time. Those
last bits mostly do not matter, but a trajectory that passes near zero turns them into visible relative
differences, and we promise PyTorch's numbers. :func:`fma` computes the correctly rounded ``a * b + c``
from error-free transformations:

* Dekker's product: ``a * b = p + e`` exactly, splitting each factor into two 26-bit halves;
* Knuth's two-sum: ``c + p = s + t`` exactly;
* the remaining ``t + e`` rounded *to odd* before the final addition, which makes the double rounding
  harmless (Boldo & Melquiond, "Emulation of FMA and correctly rounded sums: proved algorithms using
  rounding to odd", IEEE Transactions on Computers 57(4), 2008).

Where an intermediate overflows (|a|, |b| beyond about 1e300) the plain ``a * b + c`` is returned.
Products that underflow into subnormals may be off by one unit in the last place; they do not occur in
optimisation at sensible scales.
"""

from __future__ import annotations

import numpy as np

_SPLITTER = 134217729.0  # 2**27 + 1: splits a double into two halves of at most 26 significant bits


def _split(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    c = _SPLITTER * x
    hi = c - (c - x)
    return hi, x - hi


def _two_sum(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    s = x + y
    yy = s - x
    return s, (x - (s - yy)) + (y - yy)


def fma(a: np.ndarray | float, b: np.ndarray | float, c: np.ndarray | float) -> np.ndarray:
    """``a * b + c`` rounded once, elementwise with broadcasting, as C's ``fma``."""
    a, b, c = (np.asarray(x, dtype=float) for x in (a, b, c))
    with np.errstate(over="ignore", invalid="ignore"):
        p = a * b
        ah, al = _split(a)
        bh, bl = _split(b)
        e = (((ah * bh - p) + ah * bl) + al * bh) + al * bl  # p + e == a * b
        s, t = _two_sum(c, p)  # s + t == c + p
        u, r = _two_sum(t, e)  # u + r == t + e
        # Round u to odd: where the sum was inexact and u's last bit is even, step one unit in the last
        # place towards the exact value (add 1 to the bit pattern if that grows |u|, else subtract 1).
        inexact_even = (r != 0) & ((u.view(np.int64) & 1) == 0)
        shrink = np.signbit(u) ^ np.signbit(r)
        u = (u.view(np.int64) + (inexact_even & ~shrink) - (inexact_even & shrink)).view(np.float64)
        out = s + u
        if not np.isfinite(out).all():
            out = np.where(np.isfinite(out), out, p + c)
    return out
