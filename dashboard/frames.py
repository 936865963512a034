"""Tidy DataFrames made once from a :class:`~scenarios.Race`, for the charts, the summary table and the CSV.

Everything here is pure (numpy and pandas, no Streamlit): the pages call these once per result, and the
tests check them directly. Two promises hold for every frame meant for a chart:

* no NaN or ±inf reaches it (Vega cannot encode them): diverged runs simply end where they left;
* long runs are thinned to a bounded number of steps, always keeping the first and the last, and every
  chart uses the same thinned steps so that hovering a step on one chart finds it on the others.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from scenarios import Race, Scenario

#: Smallest loss gap drawn on a log axis: below this, differences are rounding noise.
GAP_FLOOR = 1e-16
#: At most this many path points in total (all runs together), so the payload stays bounded.
PATH_POINTS = 4_000
#: Chart values are clipped to this magnitude before they are sent as float32.
FLOAT32_LIMIT = 1e38
#: At most this many steps per line on the loss and step-size charts.
LINE_POINTS = 300


def compact(frame: pd.DataFrame) -> pd.DataFrame:
    """The same rows in fewer bytes for the browser: float32 numbers, small integers, categorical labels.

    Streamlit ships chart data as Arrow; float32 keeps 7 significant digits, plenty to draw, and halves
    the payload. Values beyond float32's range (a run on its way to diverging) are clipped to ±1e38 rather
    than becoming infinite: far off any chart, but still finite for Vega."""
    out = {}
    for name, column in frame.items():
        if column.dtype.kind == "f":
            out[name] = column.clip(-FLOAT32_LIMIT, FLOAT32_LIMIT).astype(np.float32)
        elif column.dtype.kind in "iu":
            out[name] = pd.to_numeric(column, downcast="integer")
        elif column.dtype == object or pd.api.types.is_string_dtype(column):
            out[name] = column.astype("category")
        else:
            out[name] = column
    return pd.DataFrame(out)


def drawn_steps(n: int, max_points: int) -> np.ndarray:
    """Indices ``0 … n−1`` thinned to at most ``max_points``, evenly spread, first and last always kept."""
    if n <= max_points:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, max(max_points, 2)).round().astype(int))


def _quantiles(values: np.ndarray, qs: tuple[float, ...], axis: int) -> np.ndarray:
    """NaN-ignoring quantiles (numpy's default linear interpolation), shape ``(len(qs), *rest)``.

    ``np.nanquantile`` does the same but loops in Python over every slice, which is slow for the
    (configurations × seeds × steps) arrays here; an all-NaN slice gives NaN, silently."""
    ordered = np.moveaxis(np.sort(values, axis=axis), axis, 0)  # NaN sorts last
    count = np.moveaxis(~np.isnan(values), axis, 0).sum(0)
    out = []
    for q in qs:
        pos = q * np.maximum(count - 1, 0)
        lo = np.floor(pos).astype(int)
        hi = np.minimum(lo + 1, np.maximum(count - 1, 0))
        low = np.take_along_axis(ordered, lo[None], 0)[0]
        high = np.take_along_axis(ordered, hi[None], 0)[0]
        with np.errstate(invalid="ignore"):
            value = low + (high - low) * (pos - lo)
        out.append(np.where(count > 0, value, np.nan))
    return np.stack(out)


def _runs(race: Race) -> np.ndarray:
    """Flatten configuration axes: params (n_opt, n_seed, T, 2) for a race without array hyperparameters."""
    if race.params.ndim != 4:
        raise ValueError("the Compare frames expect one configuration per label (no array hyperparameters)")
    return race.params


def path_frame(race: Race, steps: np.ndarray | None = None,
               box: tuple[tuple[float, float], tuple[float, float]] | None = None) -> pd.DataFrame:
    """Each run's path: columns ``config, seed, step, x, y``, in step order, finite points only.

    ``steps`` are indices into ``race.steps`` (default: every recorded step). With many runs the points
    per path are thinned further, so that all paths together stay within :data:`PATH_POINTS`. A diverged
    run's last finite iterate is always kept: its path ends where it left.
    """
    params = _runs(race)
    n_opt, n_seed, n_t, _ = params.shape
    idx = np.arange(n_t) if steps is None else np.asarray(steps)
    per_run = max(PATH_POINTS // (n_opt * n_seed), 20)
    if len(idx) > per_run:
        idx = idx[drawn_steps(len(idx), per_run)]
    xy = params[:, :, idx]
    frame = pd.DataFrame({
        "config": np.repeat(np.array(race.labels, dtype=object), n_seed * len(idx)),
        "seed": np.tile(np.repeat(np.array(race.seeds), len(idx)), n_opt),
        "step": np.tile(race.steps[idx], n_opt * n_seed),
        "x": xy[..., 0].ravel(),
        "y": xy[..., 1].ravel(),
    })
    # A diverged run's last finite iterate, wherever it falls between the drawn steps.
    k, s = np.nonzero(race.diverged_at > 0)
    last = np.searchsorted(race.steps, race.diverged_at[k, s]) - 1
    ends = pd.DataFrame({"config": np.array(race.labels, dtype=object)[k], "seed": np.array(race.seeds)[s],
                         "step": race.steps[last], "x": params[k, s, last, 0], "y": params[k, s, last, 1]})
    frame = pd.concat([frame, ends[~np.isin(last, idx)]], ignore_index=True)
    if box is not None:
        # A run on its way out may reach 1e300: a canvas cannot draw a line that long (it fills the view
        # instead). Three boxes out is far enough to leave the picture in the right direction.
        (x0, x1), (y0, y1) = box
        w, h = x1 - x0, y1 - y0
        frame["x"] = frame["x"].clip(x0 - 3 * w, x1 + 3 * w)
        frame["y"] = frame["y"].clip(y0 - 3 * h, y1 + 3 * h)
    order = {label: i for i, label in enumerate(race.labels)}
    frame = frame.sort_values(["seed", "step"], kind="stable").sort_values(
        "config", key=lambda c: c.map(order), kind="stable")
    return frame[np.isfinite(frame["x"]) & np.isfinite(frame["y"])].reset_index(drop=True)


def last_finite(race: Race) -> np.ndarray:
    """Indices into ``race.steps`` of each diverged run's last finite iterate (one per distinct step)."""
    diverged = race.diverged_at[race.diverged_at > 0]
    return np.unique(np.searchsorted(race.steps, diverged) - 1)


def loss_frame(race: Race, min_loss: float, steps: np.ndarray) -> pd.DataFrame:
    """Loss gap ``loss − min_loss`` per config and step: median and 25–75 % band over seeds.

    Columns ``config, step, median, q25, q75, seeds`` (finite seeds counted). The gap is floored at
    :data:`GAP_FLOOR` for the log axis.
    """
    gap = np.maximum(race.loss[:, :, steps] - min_loss, GAP_FLOOR)
    q25, median, q75 = _quantiles(gap, (0.25, 0.5, 0.75), axis=1)
    count = np.isfinite(gap).sum(axis=1)
    n_opt, n_t = median.shape
    frame = pd.DataFrame({
        "config": np.repeat(np.array(race.labels, dtype=object), n_t),
        "step": np.tile(race.steps[steps], n_opt),
        "median": median.ravel(),
        "q25": q25.ravel(),
        "q75": q75.ravel(),
        "seeds": count.ravel(),
    })
    return frame[count.ravel() > 0].reset_index(drop=True)


def step_frame(race: Race, steps: np.ndarray, axis_names: tuple[str, str] = ("x", "y")) -> pd.DataFrame:
    """The step each configuration actually took, ``|θ_t − θ_{t−1}|`` per coordinate (median over seeds).

    Columns ``config, step, coordinate, size``. Zero steps (an iRprop− flip, a zero gradient) cannot sit
    on a log axis and are left out, as are diverged runs; steps below :data:`GAP_FLOOR` show at the floor.
    """
    params = _runs(race)
    want = np.asarray(steps)
    want = want[want >= 1]
    taken = np.abs(params[:, :, want] - params[:, :, want - 1])  # (n_opt, n_seed, S, 2): the step into each
    with np.errstate(invalid="ignore"):
        sizes = _quantiles(np.where(taken > 0, taken, np.nan), (0.5,), axis=1)[0]  # (n_opt, S, 2)
    # Floored like the loss gap: a step of 1e-200 is nothing to see, and float32 would make it 0.
    sizes = np.maximum(sizes, GAP_FLOOR)
    n_opt, n_s, _ = sizes.shape
    frame = pd.DataFrame({
        "config": np.repeat(np.array(race.labels, dtype=object), n_s * 2),
        "step": np.tile(np.repeat(race.steps[want], 2), n_opt),
        "coordinate": np.tile(np.array(axis_names, dtype=object), n_opt * n_s),
        "size": sizes.ravel(),
    })
    return frame[np.isfinite(frame["size"])].reset_index(drop=True)


def nearest_minimum_distance(scenario: Scenario, xy: np.ndarray) -> np.ndarray:
    """Distance from each point ``(..., 2)`` to the nearest known minimum."""
    minima = np.asarray(scenario.minima, dtype=float)
    return np.sqrt(((xy[..., None, :] - minima) ** 2).sum(-1)).min(-1)


def reach_tolerance(scenario: Scenario) -> float:
    """"Reached the minimum" means within 1 % of the plot box's larger side of a known minimum."""
    (x0, x1), (y0, y1) = scenario.bounds
    return 0.01 * max(x1 - x0, y1 - y0)


def summary_frame(race: Race, scenario: Scenario) -> pd.DataFrame:
    """One row per configuration: medians over seeds of the final and best loss above the minimum (as the
    charts show it), the first step within
    :func:`reach_tolerance` of a minimum, the final distance to the nearest minimum, and diverged runs."""
    params = _runs(race)
    tol = reach_tolerance(scenario)
    with np.errstate(invalid="ignore"):
        dist = nearest_minimum_distance(scenario, params)  # (n_opt, n_seed, T)
        reached = dist <= tol
    first = np.where(reached.any(-1), race.steps[reached.argmax(-1)], np.nan).astype(float)
    best = np.where(np.isfinite(race.loss), race.loss, np.inf).min(-1)
    best = np.where(np.isfinite(best), best, np.nan)
    rows = []
    for k, label in enumerate(race.labels):
        n = len(race.seeds)
        diverged = race.diverged_at[k] >= 0
        final, best_k, distance, steps = _quantiles(
            np.stack([race.loss[k, :, -1] - scenario.min_loss, best[k] - scenario.min_loss, dist[k, :, -1],
                      first[k]]), (0.5,), axis=1
        )[0]
        rows.append({
            "config": label,
            "final loss − min": final,
            "best loss − min": best_k,
            "steps to reach": steps,
            "reached": f"{int(reached[k].any(-1).sum())}/{n}",
            "distance to minimum": distance,
            "diverged": f"{int(diverged.sum())}/{n}",
            "diverged at": int(race.diverged_at[k][diverged].min()) if diverged.any() else None,
        })
    return pd.DataFrame(rows)


#: The CSV holds at most this many rows (about 25 MB); longer races are written every k-th step.
MAX_CSV_ROWS = 250_000


def runs_csv(race: Race) -> str:
    """All runs as tidy CSV: ``optimizer, seed, step, x, y, loss, batch_loss`` (diverged steps left empty).

    ``x, y`` are the two parameters whatever the scenario calls them (``w, b`` for least squares). Above
    :data:`MAX_CSV_ROWS` rows, every k-th step is written (the first and last always)."""
    params = _runs(race)
    n_opt, n_seed, n_t, _ = params.shape
    keep = drawn_steps(n_t, max(2, MAX_CSV_ROWS // (n_opt * n_seed)))
    params, n_t = params[:, :, keep], len(keep)
    loss, batch_loss, recorded = race.loss[:, :, keep], race.batch_loss[:, :, keep], race.steps[keep]
    frame = pd.DataFrame({
        "optimizer": np.repeat(np.array(race.labels, dtype=object), n_seed * n_t),
        "seed": np.tile(np.repeat(np.array(race.seeds), n_t), n_opt),
        "step": np.tile(recorded, n_opt * n_seed),
        "x": params[..., 0].ravel(),
        "y": params[..., 1].ravel(),
        "loss": loss.ravel(),
        "batch_loss": batch_loss.ravel(),
    })
    return frame.to_csv(index=False, float_format="%.17g")
