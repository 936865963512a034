"""The race engine: every (optimizer × seed × configuration) run stepped together, one array per step.

    race = run(SCENARIOS["minibatch-trap"], {"SGD": SGD(lr=0.05), "RProp": RProp()}, steps=3000, seeds=8)
    race.params.shape   # (2 optimizers, 8 seeds, 3001 recorded steps, 2)

Common random numbers: each seed's noise or mini-batch sequence is drawn from
``SeedSequence([crc32(scenario key), seed])`` before anything is stepped, so the sample at step ``t``
depends only on (scenario, its settings, seed, t) — never on which optimizers run beside it.

Optimizers whose hyperparameters are arrays (shape ``(R, 1)``: one value per configuration) add
configuration axes after the seed axis, so a learning-rate sweep is one call: ``params`` then has shape
``(n_opt, n_seed, R, T, 2)``.

Divergence: a run whose iterate, loss or batch loss stops being finite is recorded as diverged at that
step (``diverged_at``); from that step on its entries are NaN, it is no longer stepped in any way that
matters, and the other runs carry on. No numpy warning escapes.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from optimizers import Optimizer
from scenarios.catalog import SCENARIOS, Scenario, get

MAX_STEPS = 20_000
MAX_SEEDS = 256
MAX_RUNS = 100_000  # optimizer configurations × seeds stepped together
MAX_RECORDED = 5_000_000  # runs × recorded steps: bounds the memory of one Race (about 32 bytes each)
MAX_SAMPLES = 50_000_000  # per-step noise or batch values drawn up front (steps × seeds × sample size)


@dataclass(frozen=True, eq=False)
class Race:
    """What :func:`run` returns: plain arrays, ready to be tabulated or drawn.

    Shapes use ``n_opt`` optimizers (in ``labels`` order), ``n_seed`` seeds, the configuration axes
    ``C`` of array-valued hyperparameters (none for plain floats) and ``T`` recorded steps:

    * ``params`` (n_opt, n_seed, *C, T, 2): the iterate after ``steps[i]`` updates;
    * ``loss`` (n_opt, n_seed, *C, T): the full objective at that iterate;
    * ``batch_loss`` (n_opt, n_seed, *C, T): the loss of the mini-batch (or noisy loss) the optimizer
      observed there, the one whose gradient made the next update;
    * ``diverged_at`` (n_opt, n_seed, *C): the first step at which the run was not finite, or −1;
    * ``steps`` (T,): which steps were recorded (all of them unless ``record_every > 1``).
    """

    scenario: str
    labels: tuple[str, ...]
    seeds: tuple[int, ...]
    steps: np.ndarray
    params: np.ndarray
    loss: np.ndarray
    batch_loss: np.ndarray
    diverged_at: np.ndarray

    @property
    def diverged(self) -> np.ndarray:
        return self.diverged_at >= 0


def run(
    scenario: Scenario | str,
    optimizers: Mapping[str, Optimizer],
    steps: int,
    seeds: int | Sequence[int],
    start: Sequence[float] | None = None,
    *,
    record_every: int = 1,
    progress: Callable[[float], None] | None = None,
) -> Race:
    """Race ``optimizers`` (label -> optimizer) on ``scenario`` for ``steps`` updates on each seed.

    Args:
        scenario: a :class:`Scenario`, configured with its noise or batch-size settings (or its key).
        optimizers: display label -> optimizer. Array-valued hyperparameters must share one
            configuration shape (or broadcast to it).
        steps: number of updates, 1 … MAX_STEPS.
        seeds: a count (seeds 0 … n−1) or explicit non-negative seed numbers.
        start: the common start point; the scenario's default if None. Must lie within its bounds.
        record_every: record every k-th iterate (and always the first and the last), to bound memory
            on sweeps. The full loss is then evaluated only where recorded, so a run whose full loss
            overflows between recorded steps while its iterate and batch loss stay finite (possible only
            near 1e308 on the finite-sum problems) is stopped at a recorded step, or not at all.
        progress: called with the fraction done, about twenty times.

    Raises:
        ValueError: naming the setting and its allowed range, for bad steps, seeds, start, optimizers or
            a result too large to hold.
    """
    scenario = _scenario(scenario)
    steps = _count("steps", steps, MAX_STEPS)
    record_every = _count("record_every", record_every, MAX_STEPS)
    seed_ids = _seeds(seeds)
    x0 = _start(scenario, start)
    labels, opts = _optimizers(optimizers)
    config = _config_shape(opts)
    n_runs = len(opts) * len(seed_ids) * math.prod(config)
    recorded = np.unique(np.r_[np.arange(0, steps + 1, record_every), steps])
    if n_runs > MAX_RUNS or n_runs * len(recorded) > MAX_RECORDED:
        raise ValueError(
            f"This race is too large: {n_runs} runs × {len(recorded)} recorded steps; the limits are "
            f"{MAX_RUNS} runs and {MAX_RECORDED} run-steps. Use fewer seeds or steps, or record_every > 1."
        )

    sample_values = (steps + 1) * len(seed_ids) * scenario.problem.sample_size
    if sample_values > MAX_SAMPLES:
        raise ValueError(
            f"This race draws too many samples: {sample_values} values for {steps} steps × {len(seed_ids)} seeds; "
            f"the limit is {MAX_SAMPLES}. Use fewer steps or seeds, or a smaller batch."
        )

    # Per-step samples, shaped (steps + 1, 1, n_seed, 1 per configuration axis, *sample) to broadcast.
    key = zlib.crc32(scenario.key.encode())
    samples = np.stack([scenario.problem.draw(np.random.default_rng([key, s]), steps) for s in seed_ids], axis=1)
    samples = samples.reshape(samples.shape[:2] + (1,) * len(config) + samples.shape[2:])[:, None]

    shape = (len(opts), len(seed_ids), *config)
    for opt in opts:
        opt.init(np.zeros((*shape[1:], 2)))  # a hyperparameter array that does not fit the runs fails here
    opts = [_materialised(opt, (*shape[1:], 2)) for opt in opts]
    params = np.broadcast_to(x0, (*shape, 2)).copy()
    states = [opt.init(params[k]) for k, opt in enumerate(opts)]
    diverged_at = np.full(shape, -1)
    out_params, out_loss, out_batch = [], [], []
    is_recorded = np.zeros(steps + 1, dtype=bool)
    is_recorded[recorded] = True
    every = max(1, steps // 20)

    with np.errstate(all="ignore"):
        for t in range(steps + 1):
            batch_loss, grads = scenario.problem.batch(params, samples[t])
            loss = scenario.problem.loss(params) if is_recorded[t] else batch_loss
            # x + y is not finite when either is (or when both are beyond 1e308: diverged all the same).
            bad = ~(np.isfinite(params[..., 0] + params[..., 1]) & np.isfinite(loss) & np.isfinite(batch_loss))
            newly = bad & (diverged_at < 0)
            if newly.any():
                diverged_at[newly] = t
                dead = diverged_at >= 0
                params = np.where(dead[..., None], np.nan, params)
                loss = np.where(dead, np.nan, loss)
                batch_loss = np.where(dead, np.nan, batch_loss)
            if is_recorded[t]:
                out_params.append(params)
                out_loss.append(loss)
                out_batch.append(batch_loss)
            if t == steps:
                break
            stepped = [opt.step(params[k], grads[k], states[k], loss=batch_loss[k]) for k, opt in enumerate(opts)]
            params = np.stack([p for p, _ in stepped])
            states = [s for _, s in stepped]
            if progress is not None and ((t + 1) % every == 0 or t + 1 == steps):
                progress((t + 1) / steps)

    return Race(
        scenario=scenario.key,
        labels=labels,
        seeds=seed_ids,
        steps=recorded,
        params=np.stack(out_params, axis=-2),
        loss=np.stack(out_loss, axis=-1),
        batch_loss=np.stack(out_batch, axis=-1),
        diverged_at=diverged_at,
    )


# -- validation ------------------------------------------------------------------------------------


def _scenario(scenario: Scenario | str) -> Scenario:
    """A scenario object, or its key."""
    if isinstance(scenario, str):
        return get(scenario)
    if not isinstance(scenario, Scenario):
        raise ValueError(f"'scenario' must be a Scenario or one of the keys {', '.join(SCENARIOS)}. "
                         f"Got {scenario!r} instead.")
    return scenario


def _count(name: str, value: object, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not 1 <= value <= high:
        raise ValueError(f"{name!r} must be an integer in the range [1, {high}]. Got {value!r} instead.")
    return int(value)


def _seeds(seeds: int | Sequence[int]) -> tuple[int, ...]:
    if isinstance(seeds, (int, np.integer)) and not isinstance(seeds, bool):
        return tuple(range(_count("seeds", seeds, MAX_SEEDS)))
    try:
        ids = tuple(seeds)  # type: ignore[arg-type]
    except TypeError:
        ids = ()
    ok = 1 <= len(ids) <= MAX_SEEDS and len(set(ids)) == len(ids) and all(
        isinstance(s, (int, np.integer)) and not isinstance(s, bool) and 0 <= s < 2**32 for s in ids
    )
    if not ok:
        raise ValueError(
            f"'seeds' must be a count in the range [1, {MAX_SEEDS}] or up to {MAX_SEEDS} distinct integers "
            f"in [0, 2**32). Got {seeds!r} instead."
        )
    return tuple(int(s) for s in ids)


def _start(scenario: Scenario, start: Sequence[float] | None) -> np.ndarray:
    if start is None:
        return np.asarray(scenario.start, dtype=float)
    (x_lo, x_hi), (y_lo, y_hi) = scenario.bounds
    try:
        x0 = np.asarray(start, dtype=float)
    except (TypeError, ValueError):
        x0 = np.full(0, np.nan)
    if x0.shape != (2,) or not (x_lo <= x0[0] <= x_hi and y_lo <= x0[1] <= y_hi):
        raise ValueError(
            f"'start' must be a point (x, y) with x in [{x_lo:g}, {x_hi:g}] and y in [{y_lo:g}, {y_hi:g}] "
            f"for scenario {scenario.key!r}. Got {start!r} instead."
        )
    return x0


def _optimizers(optimizers: Mapping[str, Optimizer]) -> tuple[tuple[str, ...], list[Optimizer]]:
    if not isinstance(optimizers, Mapping) or not optimizers:
        raise ValueError(f"'optimizers' must be a non-empty mapping label -> optimizer. Got {optimizers!r}.")
    for label, opt in optimizers.items():
        if not isinstance(label, str) or not label or not isinstance(opt, Optimizer):
            raise ValueError(f"'optimizers' must map non-empty labels to optimizers. Got {label!r}: {opt!r}.")
    return tuple(optimizers), list(optimizers.values())


def _materialised(opt: Optimizer, shape: tuple[int, ...]) -> Optimizer:
    """The same optimizer with every array hyperparameter expanded to the full ``shape`` of its runs.

    Same numbers, much faster: numpy broadcasts a ``(R, 1)`` array against ``(..., R, 2)`` with an inner
    loop of length 2, which costs several times a contiguous operation.
    """
    values = opt.hyperparams()
    if not any(isinstance(v, np.ndarray) for v in values.values()):
        return opt
    full = {k: np.ascontiguousarray(np.broadcast_to(v, shape)) if isinstance(v, np.ndarray) else v
            for k, v in values.items()}
    return type(opt)(**full)


def _config_shape(opts: list[Optimizer]) -> tuple[int, ...]:
    """The configuration axes: the broadcast of every array hyperparameter's shape without its last axis."""
    shapes = [np.shape(v)[:-1] for opt in opts for v in opt.hyperparams().values() if isinstance(v, np.ndarray)]
    try:
        return np.broadcast_shapes(*shapes) if shapes else ()
    except ValueError:
        raise ValueError(
            "The optimizers' array hyperparameters must share one configuration shape; got shapes "
            f"{sorted(set(shapes))} (without the last axis)."
        ) from None
