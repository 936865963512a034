"""Engine benchmark: ``scenarios.run`` on a sweep-sized workload, next to torch.optim and plain Python.

Usage (from the repository root)::

    python benchmarks/engine.py            # the full workload, best of 3 (about 80-90 s on 2 cores)
    python benchmarks/engine.py --quick    # a small workload, about 25 s: a smoke test, not a measurement
    python benchmarks/engine.py --reps 5

What is timed
-------------
The Sweep page's largest race (DESIGN.md, "Budgets"): a 40 lr × 40 β grid for each of 3 optimizers, 8 seeds,
500 steps, i.e. 38,400 runs. Here all 4,800 configurations are RMSProp (the 40 × 40 grid three times, standing
in for the three optimizers' grids), passed to ``scenarios.run`` as per-run hyperparameter arrays ``lr`` and
``beta`` of shape (4800, 1), on the tutorial's bowl ``x² + y²`` with Gaussian gradient noise σ = 1. It is timed
keeping only the first and last iterates (``record_every=500``, what a sweep needs) and keeping every 10th, and
also, engine only, on Rosenbrock's banana with σ = 5, whose gradient costs a few more array operations.

Why the bowl for the comparison: on noisy Rosenbrock, RMSProp with lr near 1 is chaotic. torch's CPU ``sqrt``
is off by one ulp for about one value in a hundred (see optimizers/rmsprop.py), and on Rosenbrock that ulp grows
to O(1) differences within about 100 steps, so equal work could not be checked on the final iterates. On the
bowl the same runs agree to ~1e-15.

What it is compared with
------------------------
1. ``torch.optim.RMSprop`` stepped in a Python loop, set up as favourably for torch as we could reasonably
   make it. torch has one ``lr`` and ``alpha`` per param group, so there must be one group per configuration;
   each holds an (8, 2) tensor, that configuration's 8 seeds. All groups live in one optimizer with
   ``foreach=False``, the fastest setting for many one-tensor groups on CPU (one optimizer per configuration,
   or ``foreach=True``, were 2-2.5× slower here). The params and their ``.grad`` are views into one (C, 8, 2)
   tensor each, so the gradient (the same formula plus the same noise samples) is a few vectorised torch ops
   for all configurations at once; only ``optimizer.step()`` loops over the groups. Its cost is linear in
   the number of groups, so it is measured on a subsample of configurations and extrapolated.
2. The tutorial's style (seed/rmsprop-tutorial.zh.txt): one run at a time, Python floats, ``math.sqrt`` and
   a loop per coordinate, its ``derivative_function`` plus the same noise. Measured on a subsample of runs and
   extrapolated linearly.

Both check their final iterates against the engine's on the same runs, so the comparison is of equal work.
torch must agree to 1e-9 relative (the engine reproduces torch's kernels: fused multiply-adds, same operation
order); the plain-Python loop rounds differently (no fused multiply-add), so its difference is only reported.

glibc malloc
------------
The engine's temporaries are ~600 KB arrays (38,400 runs × 2 coordinates × 8 bytes), and glibc's malloc by
default returns the free memory at the top of its heap to the OS once it exceeds the (dynamic) trim threshold,
about twice the largest freed mmap'd block, ~1.2 MB here. Every step frees and reallocates several such
arrays, so the pages are unmapped and page-faulted back in again and again. The engine is therefore timed
in a fresh process per measurement, under glibc's defaults and with malloc told to keep its memory: by
environment variables (glibc reads them at process start), by ``mallopt`` through ctypes at the start of the
child process, and by freeing one 16 MiB array first, which raises glibc's dynamic thresholds for good (so
how fast the engine runs under the defaults depends on what the process freed before: a long-lived server
may well be in the fast state). Each setting's minor page faults per ``run`` call are printed as evidence
of the mechanism. Both the engine and torch get an untimed warm-up call first (torch.optim's first ``step``
spends about 2 s on lazy imports).

The engine itself is single-threaded (numpy's elementwise kernels). Other processes may be running on the
machine, so each time is the best of ``--reps`` repetitions and the load average is printed.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import math
import os
import platform
import resource
import subprocess
import sys
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

# Run as a script (python benchmarks/engine.py): put the repository root on the path for these imports.
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from optimizers import RMSProp  # noqa: E402
from scenarios import SCENARIOS, Race, Scenario, run  # noqa: E402

BOWL_SIGMA = 1.0
ROSENBROCK_SIGMA = 5.0
EQUAL_WORK_TOLERANCE = 1e-9  # torch vs the engine, relative, on the final iterates

# glibc's mallopt parameter numbers (malloc.h).
M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_THRESHOLD = -1, -2, -3
MMAP_THRESHOLD_MAX = 32 * 1024 * 1024  # glibc's upper limit for M_MMAP_THRESHOLD on 64-bit
TOP_PAD = 100_000_000
TRIM_THRESHOLD = 256 * 1024 * 1024


@dataclass(frozen=True)
class Workload:
    n_lr: int
    n_beta: int
    n_opt: int  # copies of the lr × β grid, standing in for the sweep's optimizers
    seeds: int
    steps: int

    @property
    def configs(self) -> int:
        return self.n_lr * self.n_beta * self.n_opt

    @property
    def runs(self) -> int:
        return self.configs * self.seeds

    def describe(self) -> str:
        return (f"{self.n_lr} lr × {self.n_beta} β × {self.n_opt} grids = {self.configs:,} RMSProp configurations "
                f"× {self.seeds} seeds = {self.runs:,} runs × {self.steps} steps")


FULL = Workload(n_lr=40, n_beta=40, n_opt=3, seeds=8, steps=500)
QUICK = Workload(n_lr=20, n_beta=20, n_opt=3, seeds=8, steps=200)


@dataclass(frozen=True)
class MallocSetting:
    """How an engine process's malloc is set up: environment variables, mallopt calls, a freed warm-up array."""

    label: str
    env: dict[str, str] = field(default_factory=dict)
    mallopt: dict[int, int] = field(default_factory=dict)
    prefree: int = 0  # bytes of one array allocated and freed before timing


MALLOC_SETTINGS = (
    MallocSetting("glibc defaults"),
    MallocSetting(f"env MALLOC_TOP_PAD_={TOP_PAD}", env={"MALLOC_TOP_PAD_": str(TOP_PAD)}),
    MallocSetting(f"env MALLOC_TRIM_THRESHOLD_={TRIM_THRESHOLD} MALLOC_MMAP_THRESHOLD_={MMAP_THRESHOLD_MAX}",
                  env={"MALLOC_TRIM_THRESHOLD_": str(TRIM_THRESHOLD),
                       "MALLOC_MMAP_THRESHOLD_": str(MMAP_THRESHOLD_MAX)}),
    MallocSetting(f"ctypes mallopt M_TOP_PAD={TOP_PAD}", mallopt={M_TOP_PAD: TOP_PAD}),
    MallocSetting(f"ctypes mallopt M_TRIM_THRESHOLD={TRIM_THRESHOLD} M_MMAP_THRESHOLD={MMAP_THRESHOLD_MAX}",
                  mallopt={M_TRIM_THRESHOLD: TRIM_THRESHOLD, M_MMAP_THRESHOLD: MMAP_THRESHOLD_MAX}),
    # glibc only raises its thresholds for blocks up to 32 MiB including its header, so 16 MiB it is.
    MallocSetting("glibc defaults, after freeing one 16 MiB array", prefree=16 * 1024 * 1024),
)
MALLOC_VARS = ("MALLOC_TOP_PAD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_", "MALLOC_ARENA_MAX")


# -- the workload -------------------------------------------------------------------------------------------


def noisy_bowl() -> Scenario:
    return SCENARIOS["bowl"].configure(noise="gaussian", sigma=BOWL_SIGMA)


def noisy_rosenbrock() -> Scenario:
    return SCENARIOS["rosenbrock"].configure(noise="gaussian", sigma=ROSENBROCK_SIGMA)


def hyperparameter_grid(w: Workload) -> tuple[np.ndarray, np.ndarray]:
    """Per-configuration lr and β, shape (configs,): the lr × β grid, repeated once per optimizer."""
    lr, beta = np.meshgrid(np.geomspace(1e-4, 1.0, w.n_lr), np.linspace(0.0, 0.999, w.n_beta), indexing="ij")
    return np.tile(lr.ravel(), w.n_opt), np.tile(beta.ravel(), w.n_opt)


def subsample(n: int, k: int) -> np.ndarray:
    """``k`` indices spread evenly over ``range(n)``."""
    return np.unique(np.linspace(0, n - 1, min(k, n)).round().astype(int))


def race(scenario: Scenario, lr: np.ndarray, beta: np.ndarray, w: Workload, record_every: int) -> Race:
    opt = RMSProp(lr=lr[:, None], beta=beta[:, None])
    return run(scenario, {"RMSProp": opt}, steps=w.steps, seeds=w.seeds, record_every=record_every)


def engine_final(scenario: Scenario, lr: np.ndarray, beta: np.ndarray, w: Workload) -> np.ndarray:
    """The engine's final iterates for these configurations, shape (configs, seeds, 2)."""
    result = race(scenario, lr, beta, w, record_every=w.steps)
    return result.params[0, :, :, -1, :].transpose(1, 0, 2)


def noise_samples(scenario: Scenario, w: Workload) -> np.ndarray:
    """The gradient noise the engine draws, shape (steps + 1, seeds, 2): the same seeding as ``run``'s."""
    key = zlib.crc32(scenario.key.encode())
    return np.stack([scenario.problem.draw(np.random.default_rng([key, s]), w.steps) for s in range(w.seeds)],
                    axis=1)


def best_of(reps: int, fn: Callable[[], Any]) -> tuple[float, float, Any]:
    """The shortest wall time and CPU time of ``reps`` calls of ``fn``, and the last call's result."""
    wall, cpu, result = math.inf, math.inf, None
    for _ in range(reps):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = fn()
        wall, cpu = min(wall, time.perf_counter() - start), min(cpu, time.process_time() - start_cpu)
    return wall, cpu, result


def relative_difference(a: np.ndarray, b: np.ndarray) -> float:
    """The largest ``‖a − b‖ / ‖b‖`` over runs (last axis: the 2-D iterate); NaN where both are NaN counts as 0."""
    both_nan = np.isnan(a).all(-1) & np.isnan(b).all(-1)
    diff = np.linalg.norm(a - b, axis=-1) / np.maximum(np.linalg.norm(b, axis=-1), 1e-300)
    return float(np.where(both_nan, 0.0, diff).max())


# -- the competitors ------------------------------------------------------------------------------------------


def torch_loop(lr: np.ndarray, beta: np.ndarray, start: Sequence[float], noise: np.ndarray, steps: int) -> np.ndarray:
    """``steps`` RMSProp updates with torch.optim, one param group per configuration; final iterates (C, S, 2)."""
    import torch

    n_cfg, n_seed = len(lr), noise.shape[1]
    noise_t = torch.from_numpy(noise)
    params = torch.empty((n_cfg, n_seed, 2), dtype=torch.float64)
    params[...] = torch.tensor(start, dtype=torch.float64)
    grads = torch.zeros_like(params)
    groups = []
    for c in range(n_cfg):
        p = params[c]  # a view: the optimizer's in-place updates land in `params`
        p.grad = grads[c]
        groups.append({"params": [p], "lr": float(lr[c]), "alpha": float(beta[c])})
    opt = torch.optim.RMSprop(groups, eps=1e-8, foreach=False)
    with torch.no_grad():
        for t in range(steps):
            torch.mul(params, 2.0, out=grads)  # the bowl's gradient, as scenarios/landscapes.py computes it
            grads += noise_t[t]
            opt.step()
    return params.numpy().copy()


def tutorial_run(step_size: float, beta: float, start: Sequence[float], noise: list[list[float]],
                 steps: int) -> list[float]:
    """One run the tutorial's way: floats, math.sqrt, a loop per coordinate (its RMSProp, on the noisy bowl)."""
    point = list(start)
    squared_gradient_avg = [0.0, 0.0]
    for t in range(steps):
        x, y = point
        gradient = [x * 2.0 + noise[t][0], y * 2.0 + noise[t][1]]
        for i in range(2):
            squared_gradient_avg[i] = squared_gradient_avg[i] * beta + gradient[i] ** 2.0 * (1.0 - beta)
        point = [point[j] - step_size / (1e-8 + math.sqrt(squared_gradient_avg[j])) * gradient[j] for j in range(2)]
    return point


def python_loop(lr: np.ndarray, beta: np.ndarray, seeds: np.ndarray, start: Sequence[float],
                noise: np.ndarray, steps: int) -> np.ndarray:
    """``tutorial_run`` for each (lr, β, seed) triple, one after another; final iterates (runs, 2)."""
    per_seed = [noise[:, s].tolist() for s in range(noise.shape[1])]
    return np.array([tutorial_run(float(a), float(b), start, per_seed[s], steps)
                     for a, b, s in zip(lr, beta, seeds, strict=True)])


# -- the engine, in a fresh process per malloc setting ---------------------------------------------------------


def apply_mallopt(settings: dict[int, int]) -> None:
    if not settings:  # glibc's defaults: nothing to set (and no glibc needed, e.g. on macOS)
        return
    libc = ctypes.CDLL("libc.so.6")
    for param, value in settings.items():
        if libc.mallopt(ctypes.c_int(param), ctypes.c_int(value)) != 1:
            raise RuntimeError(f"mallopt({param}, {value}) failed")


def engine_cases(w: Workload) -> dict[str, tuple[Callable[[], Scenario], int]]:
    """What each engine process times: name -> (scenario, record_every)."""
    return {
        f"bowl/{w.steps}": (noisy_bowl, w.steps),
        "bowl/10": (noisy_bowl, 10),
        f"rosenbrock/{w.steps}": (noisy_rosenbrock, w.steps),
    }


def engine_child(w: Workload, case: str, setting: MallocSetting) -> dict[str, Any]:
    """Time one engine case once in this (fresh) process: wall and CPU time, minor page faults of the call."""
    apply_mallopt(setting.mallopt)  # before any large allocation: "at process start", as far as the engine can tell
    if setting.prefree:
        warm_up = np.ones(setting.prefree // 8)
        del warm_up  # freeing a mmap'd block raises glibc's dynamic mmap threshold to its size, and trim to twice
    scenario, record_every = engine_cases(w)[case]
    lr, beta = hyperparameter_grid(w)
    scenario = scenario()
    race(scenario, lr[:2], beta[:2], w, record_every)  # warm-up: first-call costs, with small arrays only
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    wall, cpu, _ = best_of(1, lambda: race(scenario, lr, beta, w, record_every))
    return {"seconds": wall, "cpu": cpu, "page_faults": resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before}


def spawn_engine(case: str, index: int, quick: bool) -> dict[str, Any]:
    """Run ``engine_child`` in a fresh interpreter with ``MALLOC_SETTINGS[index]``; its JSON result."""
    setting = MALLOC_SETTINGS[index]
    env = {k: v for k, v in os.environ.items() if k not in MALLOC_VARS} | setting.env
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", case, str(index)] + ["--quick"] * quick
    done = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure_engine(w: Workload, reps: int, quick: bool) -> dict[str, dict[str, dict[str, Any]]]:
    """setting label -> case -> best seconds and fewest page faults over ``reps`` fresh processes.

    The repetitions go round-robin over settings and cases, so a burst of load elsewhere on the machine
    hits every setting alike rather than one of them.
    """
    out: dict[str, dict[str, dict[str, Any]]] = {s.label: {} for s in MALLOC_SETTINGS}
    for _ in range(reps):
        for index, setting in enumerate(MALLOC_SETTINGS):
            for case in engine_cases(w):
                new = spawn_engine(case, index, quick)
                old = out[setting.label].setdefault(case, new)
                out[setting.label][case] = {k: min(old[k], new[k]) for k in new}
    return out


# -- the report ------------------------------------------------------------------------------------------------


def machine_info() -> str:
    import torch

    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (f"machine: {platform.machine()} {platform.system()} {platform.release()}, {os.cpu_count()} CPUs, "
            f"glibc {platform.libc_ver()[1]}; Python {platform.python_version()}, numpy {np.__version__}, "
            f"torch {torch.__version__} ({torch.get_num_threads()} intra-op threads)\n"
            f"load average at start (1, 5, 15 min): {load}: other processes may be running, so every time "
            f"below is the best of the repetitions and may still be pessimistic")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help=f"small workload: {QUICK.describe()}")
    parser.add_argument("--reps", type=int, default=3, help="repetitions per measurement; the best counts (3)")
    parser.add_argument("--torch-configs", type=int, help="configurations stepped by torch.optim (200; --quick 50)")
    parser.add_argument("--python-runs", type=int, help="runs stepped by the plain-Python loop (100; --quick 20)")
    parser.add_argument("--child", nargs=2, metavar=("CASE", "SETTING"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.torch_configs = args.torch_configs or (50 if args.quick else 200)
    args.python_runs = args.python_runs or (20 if args.quick else 100)
    return args


@dataclass(frozen=True)
class Loop:
    """A competitor measured on a subsample: its times there, the extrapolation factor, and its check."""

    seconds: float
    cpu: float
    runs: int
    scale: float
    difference: float


def measure_torch(w: Workload, n_configs: int, reps: int) -> Loop:
    """torch.optim on a subsample of configurations (all seeds each), checked against the engine."""
    scenario, (lr, beta) = noisy_bowl(), hyperparameter_grid(w)
    noise, cfg = noise_samples(scenario, w), subsample(w.configs, n_configs)
    torch_loop(lr[:2], beta[:2], scenario.start, noise, 10)  # warm-up: torch.optim's lazy imports on first step
    seconds, cpu, final = best_of(reps, lambda: torch_loop(lr[cfg], beta[cfg], scenario.start, noise, w.steps))
    difference = relative_difference(final, engine_final(scenario, lr[cfg], beta[cfg], w))
    return Loop(seconds, cpu, len(cfg) * w.seeds, w.configs / len(cfg), difference)


def measure_python(w: Workload, n_runs: int, reps: int) -> Loop:
    """The tutorial's plain Python on a subsample of (configuration, seed) runs, checked against the engine."""
    scenario, (lr, beta) = noisy_bowl(), hyperparameter_grid(w)
    noise, picked = noise_samples(scenario, w), subsample(w.runs, n_runs)
    cfg, seed = picked // w.seeds, picked % w.seeds
    seconds, cpu, final = best_of(reps, lambda: python_loop(lr[cfg], beta[cfg], seed, scenario.start, noise,
                                                            w.steps))
    configs, which = np.unique(cfg, return_inverse=True)
    difference = relative_difference(final, engine_final(scenario, lr[configs], beta[configs], w)[which, seed])
    return Loop(seconds, cpu, len(picked), w.runs / len(picked), difference)


def print_timings(w: Workload, engine: dict[str, dict[str, Any]], torch: Loop, python: Loop) -> None:
    default, tuned = engine[MALLOC_SETTINGS[0].label], engine[MALLOC_SETTINGS[1].label]
    last, tuned_label = str(w.steps), MALLOC_SETTINGS[1].label
    rows = [  # (what, wall seconds, CPU seconds)
        (f"scenarios.run, record_every={w.steps} (first and last iterate)", default[f"bowl/{last}"]),
        ("scenarios.run, record_every=10", default["bowl/10"]),
        (f"  same, {tuned_label}, record_every={w.steps}", tuned[f"bowl/{last}"]),
        (f"  same, {tuned_label}, record_every=10", tuned["bowl/10"]),
        (f"torch.optim.RMSprop loop: {torch.runs // w.seeds} configs × {w.seeds} seeds, ×{torch.scale:g}",
         {"seconds": torch.seconds * torch.scale, "cpu": torch.cpu * torch.scale}),
        (f"tutorial-style Python floats: {python.runs} runs, ×{python.scale:g}",
         {"seconds": python.seconds * python.scale, "cpu": python.cpu * python.scale}),
        (f"scenarios.run on Rosenbrock σ={ROSENBROCK_SIGMA:g}, record_every={w.steps}", default[f"rosenbrock/{last}"]),
        (f"  same, {tuned_label}", tuned[f"rosenbrock/{last}"]),
    ]
    reference, work, size = rows[0][1]["seconds"], w.runs * w.steps, f"{w.runs:,}×{w.steps}"
    print(f"Timings on the noisy bowl (σ = {BOWL_SIGMA:g}) unless stated; glibc default malloc unless stated")
    print(f"{'':74} {'runs×steps':>12} {'wall time':>10} {'CPU time':>9} {'runs×steps/s':>13} {'÷ engine':>9}")
    for what, t in rows:
        wall = t["seconds"]
        print(f"{what:74} {size:>12} {wall:9.2f}s {t['cpu']:8.2f}s {work / wall / 1e6:11.2f} M "
              f"{wall / reference:8.1f}×")
    tuned_time = tuned[f"bowl/{last}"]["seconds"]
    print(f"  the torch and Python rows are measured on a subsample and extrapolated linearly: torch "
          f"{torch.seconds:.2f}s for {torch.runs:,} runs, Python {python.seconds:.3f}s for {python.runs} runs")
    print(f"  ÷ engine: wall time relative to the first row; against the malloc-tuned engine (third row) "
          f"torch.optim is {torch.seconds * torch.scale / tuned_time:.0f}× and plain Python "
          f"{python.seconds * python.scale / tuned_time:.0f}× slower")
    print("  CPU time (user + system, this process) well below wall time means other processes took the CPU\n")


def print_checks(torch: Loop, python: Loop) -> bool:
    ok = torch.difference <= EQUAL_WORK_TOLERANCE
    print("Equal work: final iterates against scenarios.run on the same runs (max ‖Δ‖/‖engine‖ over runs)")
    print(f"  torch.optim.RMSprop ({torch.runs:,} runs): {torch.difference:.1e}  "
          f"{'OK' if ok else 'MISMATCH'} (must be ≤ {EQUAL_WORK_TOLERANCE:g})")
    print(f"  tutorial-style Python ({python.runs} runs): {python.difference:.1e}  (reported only: it rounds "
          "differently, without fused multiply-adds)\n")
    return ok


def print_malloc(w: Workload, engine: dict[str, dict[str, Any]], quick: bool) -> None:
    cases = list(engine_cases(w))
    default = engine[MALLOC_SETTINGS[0].label]
    print("The engine under glibc malloc settings: a fresh process per measurement, best of the repetitions;")
    print("each cell: wall time, speed-up over glibc defaults, minor page faults during the run() call")
    print(f"{'':68}" + "".join(f"{case:>27}" for case in cases))
    for s in MALLOC_SETTINGS:
        cells = [f"{engine[s.label][c]['seconds']:.2f}s ×{default[c]['seconds'] / engine[s.label][c]['seconds']:.2f} "
                 f"{engine[s.label][c]['page_faults']:>8,} pf" for c in cases]
        print(f"{s.label:68}" + "".join(f"{cell:>27}" for cell in cells))
    if quick:
        print("  (--quick: its arrays are 4× smaller than the full workload's, so malloc behaves differently)")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    w = QUICK if args.quick else FULL
    if args.child is not None:  # one engine measurement, spawned by measure_engine
        case, index = args.child
        print(json.dumps(engine_child(w, case, MALLOC_SETTINGS[int(index)])))
        return 0

    wall = time.perf_counter()
    print(f"Engine benchmark: RMSProp, {'--quick' if args.quick else 'the sweep-sized workload'}\n{machine_info()}")
    print(f"workload: {w.describe()}; best of {args.reps}\n")
    engine = measure_engine(w, args.reps, args.quick)
    torch = measure_torch(w, args.torch_configs, args.reps)
    python = measure_python(w, args.python_runs, args.reps)
    print_timings(w, engine, torch, python)
    ok = print_checks(torch, python)
    print_malloc(w, engine, args.quick)
    print(f"\ntotal benchmark time {time.perf_counter() - wall:.0f}s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
