"""Sweep page benchmark: the largest sweep end to end through the page's own code path.

Usage (from the repository root)::

    python benchmarks/sweep.py             # best of 3
    python benchmarks/sweep.py --reps 5

What is timed
-------------
The Sweep page's largest allowed view (DESIGN.md, "Budgets"): a 40 learning rates × 40 values of the second
hyperparameter grid for each of the 3 optimizers, 8 seeds, 500 steps: 3 × 1,600 cells × 8 seeds = 38,400
runs on paper. In fact β and momentum are spread evenly in 1 − value and rounded to 0.001, so near 1 some
of their 40 values merge and those grids have 35 rows: 35,200 runs (the script prints the real shapes). The
settings are the page's defaults (``dashboard.sweep.SweepSettings()``: Rosenbrock with Gaussian
gradient noise σ = 5, learning rates 1e-4 … 1, SGD × momentum, RProp × η⁺, RMSProp × β, score = loss above
the minimum averaged over the last 10 % of the steps) with ``grid=40, seeds=8, steps=500``.

The steps are the ones dashboard/pages/sweep.py takes on a cache miss, in the same order:

1. ``dashboard.sweep.run_family(settings, family)`` for each family (the page's cached ``family_cells``):
   one engine call per family for its whole grid, scored per cell;
2. ``pd.concat`` of the three families' cells and ``dashboard.sweep.best_rows``;
3. the chart spec, as the page's cached ``sweep_view`` makes it: ``dashboard.charts.sweep_chart`` turned
   into a Vega-Lite spec with Arrow datasets by ``dashboard.vega.template``.

Not included: Streamlit itself (its cache lookups, sending the spec, the browser drawing it) and the
best-of table under the chart. Each step is timed with ``time.perf_counter``; the whole sequence runs
``--reps`` times in this process and the best total counts (each step's best is shown too). The spec's size
is its JSON without the datasets plus the datasets' Arrow bytes: about what ``st.vega_lite_chart`` sends.

The machine is a shared 2-core box: the load average is printed first, and other processes running at the
same time make the figures pessimistic.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

# Run as `python benchmarks/sweep.py` from anywhere: import dashboard/ and friends from the repository root.
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402 - after the sys.path line above
import pandas as pd  # noqa: E402

from dashboard import sweep, vega  # noqa: E402

BUDGET_S = 1.0  # DESIGN.md: the 38,400-run sweep "in about a second on 2 cores" (the engine's share)
SETTINGS = replace(sweep.SweepSettings(), grid=40, seeds=8, steps=500)


def machine_info() -> str:
    load = os.getloadavg()
    cpus = os.cpu_count() or 1
    note = ("  ⚠ other processes are busy (1-min load above half the CPUs): figures are pessimistic"
            if load[0] > 0.5 * cpus else "  (machine looks idle)")
    return (f"machine: {platform.machine()} {platform.system()} {platform.release()}, {cpus} CPUs; "
            f"Python {platform.python_version()}, numpy {np.__version__}, pandas {pd.__version__}\n"
            f"load average at start (1, 5, 15 min): {', '.join(f'{x:.2f}' for x in load)}\n{note}")


def spec_of(settings: sweep.SweepSettings, cells: pd.DataFrame, best: pd.DataFrame) -> dict:
    """The chart spec the page's cached ``sweep_view`` makes (dashboard/pages/sweep.py)."""
    return vega.template(sweep.chart(settings, cells, best))


def one_pass(settings: sweep.SweepSettings) -> tuple[dict[str, float], dict, pd.DataFrame, pd.DataFrame]:
    times: dict[str, float] = {}
    parts = []
    start = time.perf_counter()
    for family in settings.families:
        t = time.perf_counter()
        parts.append(sweep.run_family(settings, family))
        times[family] = time.perf_counter() - t
    t = time.perf_counter()
    cells = pd.concat(parts, ignore_index=True)
    best = sweep.best_rows(cells)
    times["concat + best_rows"] = time.perf_counter() - t
    t = time.perf_counter()
    spec = spec_of(settings, cells, best)
    times["chart spec"] = time.perf_counter() - t
    times["total"] = time.perf_counter() - start
    return times, spec, cells, best


def spec_size(spec: dict) -> tuple[int, int]:
    """(JSON bytes of the spec without its datasets, Arrow bytes of the datasets)."""
    datasets = spec.get("datasets", {})
    structure = {k: v for k, v in spec.items() if k != "datasets"}
    return len(json.dumps(structure).encode()), sum(len(v) for v in datasets.values())


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=3, help="repetitions; the best counts (3)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    s = SETTINGS
    print(machine_info())
    # The grid's second axis can hold fewer than `grid` values: near-1 axes are rounded to 0.001 and merge.
    shape = {f: (len(sweep.lr_values(s)), len(sweep.second_values(f, s.axis(f), s.grid))) for f in s.families}
    runs = sum(a * b for a, b in shape.values()) * s.seeds
    print(f"sweep: {s.scenario} {dict(s.scenario_values)}, lr {s.lr_min:g}…{s.lr_max:g}, grid {s.grid}, "
          f"{s.seeds} seeds, {s.steps} steps, metric {s.metric!r}")
    print("  grids (lr × second axis): " + ", ".join(f"{f} {a} × {b} {s.axis(f)}" for f, (a, b) in shape.items())
          + f"  ->  {runs:,} runs ({s.grid}² × {len(s.families)} × {s.seeds} = "
          f"{s.grid**2 * len(s.families) * s.seeds:,} if every axis had {s.grid} values)")
    print(f"best of {args.reps}", flush=True)

    passes = []
    first_cells = None
    for rep in range(max(args.reps, 1)):
        times, spec, cells, best = one_pass(s)
        passes.append(times)
        if first_cells is None:
            first_cells = cells
        elif not first_cells.equals(cells):
            print("  ! this pass's cells differ from the first pass's: the sweep is not deterministic")
        print(f"  pass {rep + 1}: total {times['total']:.3f} s  (load now {os.getloadavg()[0]:.2f})", flush=True)

    best_pass = min(passes, key=lambda t: t["total"])
    print()
    print(f"  {'step':<22} {'best pass':>10} {'best of each':>13} {'median':>8}")
    for key in best_pass:
        values = [p[key] for p in passes]
        print(f"  {key:<22} {best_pass[key]:9.3f}s {min(values):12.3f}s {float(np.median(values)):7.3f}s")
    engine = sum(best_pass[f] for f in s.families)
    structure, data = spec_size(spec)
    rows = cells.groupby("family", sort=False).size()
    print()
    print("  cells per family: " + ", ".join(f"{f} {n:,}" for f, n in rows.items())
          + f"; diverged cells (half the seeds or more): {int(cells['score'].isna().sum()):,}")
    print("  best cells: " + "; ".join(f"{r.family} lr={r.lr:.3g} {r.param}={r.value:.4g} score={r.score:.3g}"
                                       for r in best.itertuples()))
    print(f"  chart spec: {structure / 1000:,.1f} kB JSON + {data / 1000:,.1f} kB Arrow datasets = "
          f"{(structure + data) / 1000:,.1f} kB")
    print(f"  target: the engine's share about {BUDGET_S:.0f} s on 2 cores -> run_family × 3: {engine:.3f} s; "
          f"end to end {best_pass['total']:.3f} s")
    print(f"load average at the end (1, 5, 15 min): {', '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
