"""The landscape under the paths: a heatmap grid and contour lines (from ``contourpy``), as DataFrames.

Both depend only on the scenario, so the pages compute them once per scenario (cached).
"""

from __future__ import annotations

import contourpy
import numpy as np
import pandas as pd

from scenarios import Scenario

HEATMAP_CELLS = 40  # per side: 1,600 rectangles, ~10 pixels each at the drawn size
CONTOUR_GRID = 80  # per side: smooth enough for the contour lines, and few points for the browser to draw
CONTOUR_LEVELS = 12
GAP_FLOOR = 1e-12  # the colour of a cell is the gap to the minimum, floored for the log scale
_OVERLAP = 0.15  # each cell overlaps its neighbours by this fraction, so anti-aliasing leaves no seams


def _axes(scenario: Scenario, n: int, centres: bool) -> tuple[np.ndarray, np.ndarray]:
    (x0, x1), (y0, y1) = scenario.bounds
    if centres:
        dx, dy = (x1 - x0) / n, (y1 - y0) / n
        return x0 + dx * (np.arange(n) + 0.5), y0 + dy * (np.arange(n) + 0.5)
    return np.linspace(x0, x1, n), np.linspace(y0, y1, n)


def _gap(scenario: Scenario, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """``f − f_min`` on the grid (rows: y, columns: x), floored, never NaN or inf."""
    xy = np.stack(np.meshgrid(xs, ys), axis=-1)
    with np.errstate(all="ignore"):
        gap = scenario.loss(xy) - scenario.min_loss
    return np.nan_to_num(np.maximum(gap, GAP_FLOOR), nan=GAP_FLOOR, posinf=np.finfo(float).max)


def heatmap_frame(scenario: Scenario, cells: int | None = None) -> pd.DataFrame:
    """One row per cell: edges ``x, x2, y, y2`` and ``gap`` (the objective above its minimum)."""
    cells = cells or HEATMAP_CELLS * scenario.detail
    (x0, x1), (y0, y1) = scenario.bounds
    dx, dy = (x1 - x0) / cells, (y1 - y0) / cells
    xs, ys = _axes(scenario, cells, centres=True)
    gap = _gap(scenario, xs, ys)
    cx, cy = np.meshgrid(xs, ys)
    return pd.DataFrame({
        "x": (cx - dx / 2).ravel(),
        "x2": np.minimum(cx + dx * (0.5 + _OVERLAP), x1).ravel(),
        "y": (cy - dy / 2).ravel(),
        "y2": np.minimum(cy + dy * (0.5 + _OVERLAP), y1).ravel(),
        "gap": gap.ravel(),
    })


def contour_levels(gap: np.ndarray, log: bool, count: int = CONTOUR_LEVELS) -> np.ndarray:
    """Levels spread evenly (in log space for log landscapes) between the grid's low and high values."""
    lo, hi = float(gap.min()), float(np.quantile(gap, 0.95))
    if log:
        lo = max(lo, hi * 1e-6, GAP_FLOOR * 10)
        return np.geomspace(lo, hi, count + 2)[1:-1]
    return np.linspace(lo, hi, count + 2)[1:-1]


def contour_frame(scenario: Scenario, grid: int | None = None) -> pd.DataFrame:
    """Contour lines: columns ``line, order, x, y, level``; one ``line`` id per connected piece."""
    grid = grid or CONTOUR_GRID * scenario.detail
    xs, ys = _axes(scenario, grid, centres=False)
    gap = _gap(scenario, xs, ys)
    generator = contourpy.contour_generator(xs, ys, gap, line_type="Separate",
                                            z_interp="Log" if scenario.log_color else "Linear")
    pieces = []
    for level in contour_levels(gap, scenario.log_color):
        for line in generator.lines(level):
            if len(line) >= 2:
                pieces.append((level, line))
    frames = [
        pd.DataFrame({"line": k, "order": np.arange(len(line)), "x": line[:, 0], "y": line[:, 1], "level": level})
        for k, (level, line) in enumerate(pieces)
    ]
    if not frames:
        return pd.DataFrame(columns=["line", "order", "x", "y", "level"])
    return pd.concat(frames, ignore_index=True)
