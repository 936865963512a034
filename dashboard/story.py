"""The numbers behind the RProp → RMSProp story page, all from the race engine (pure; tested against NOTES.md).

1. RProp on a clean signal: one weight, its step size growing while the sign holds and halving on a flip.
2. The mini-batch trap: SGD, RProp and RMSProp on the same batch sequence, and their per-epoch drift.
3. The β dial: RMSProp's leftover bias on the trap as β goes from 0 (sign descent) to 0.999 (averaging).
4. The tutorial's own run: the bowl from (−0.16595599, 0.44064899), lr 0.01, β 0.99, 50 iterations.
5. Damping: SGD against RMSProp across a ravine.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from optimizers import SGD, RMSProp, RProp
from scenarios import SCENARIOS, Race, run

TUTORIAL_START = (-0.16595599, 0.44064899)  # numpy.random.seed(1), as the tutorial draws it
TUTORIAL_STEPS = 50
TRAP_EPOCH = 10  # batches per epoch in the trap
BETAS = (0.0, 0.5, 0.75, 0.9, 0.95, 0.98, 0.99, 0.995, 0.998, 0.999)


def clean_signal(lr: float = 0.01, eta_minus: float = 0.5, eta_plus: float = 1.2, steps: int = 60) -> pd.DataFrame:
    """RProp (iRprop−) on the bowl without noise, from (−0.9, 0.6): the x weight and its step per step.

    Columns ``step, weight, step_size`` (``step_size`` = |Δx|, 0 on the step after a sign flip).
    """
    race = run(SCENARIOS["bowl"], {"RProp": RProp(lr=lr, eta_minus=eta_minus, eta_plus=eta_plus)},
               steps=steps, seeds=1, start=(-0.9, 0.6))
    x = race.params[0, 0, :, 0]
    return pd.DataFrame({"step": race.steps[1:], "weight": x[1:], "step_size": np.abs(np.diff(x))})


def batch_gradients(pull: float = 0.9, w: float = 0.0) -> pd.DataFrame:
    """The ten batch gradients of one weight of the trap at ``w``: ``∂ℓᵢ/∂w = w − aᵢ``."""
    offsets = SCENARIOS["minibatch-trap"].configure(pull=pull).problem.offsets()[:, 0]
    return pd.DataFrame({"batch": np.arange(1, len(offsets) + 1), "gradient": w - offsets})


@dataclass(frozen=True)
class TrapSettings:
    pull: float = 0.9
    steps: int = 2000
    seeds: int = 8
    sgd_lr: float = 0.05
    rms_lr: float = 0.01
    rms_beta: float = 0.99


def trap_race(s: TrapSettings = TrapSettings()) -> Race:
    """SGD, RProp (defaults) and RMSProp on the trap, every seed drawing the same batches for all three."""
    return run(SCENARIOS["minibatch-trap"].configure(pull=s.pull),
               {"SGD": SGD(lr=s.sgd_lr), "RProp": RProp(), "RMSProp": RMSProp(lr=s.rms_lr, beta=s.rms_beta)},
               steps=s.steps, seeds=s.seeds)


def epoch_positions(race: Race) -> pd.DataFrame:
    """The x weight averaged over each epoch of ten batches (median over seeds): ``config, epoch, x``.

    Averaging over an epoch removes the batch-to-batch wobble and leaves the drift."""
    x = race.params[:, :, 1:, 0]  # (n_opt, n_seed, steps): the iterate after each update
    epochs = x.shape[-1] // TRAP_EPOCH
    per_epoch = x[..., : epochs * TRAP_EPOCH].reshape(*x.shape[:2], epochs, TRAP_EPOCH).mean(-1)
    median = np.median(per_epoch, axis=1)
    return pd.DataFrame({
        "config": np.repeat(np.array(race.labels, dtype=object), epochs),
        "epoch": np.tile(np.arange(1, epochs + 1), len(race.labels)),
        "x": median.ravel(),
    })


def settled(race: Race, fraction: float = 0.5) -> pd.DataFrame:
    """Where each configuration settles: the position averaged over the last ``fraction`` of the steps
    and over seeds, and its distance from the true minimum (the origin)."""
    tail = race.params[:, :, -max(1, int(race.params.shape[2] * fraction)):]
    mean = tail.mean(axis=(1, 2))
    return pd.DataFrame({"config": race.labels, "x": mean[:, 0], "y": mean[:, 1],
                         "distance": np.hypot(mean[:, 0], mean[:, 1])})


def beta_dial(pull: float = 0.9, lr: float = 0.01, steps: int = 2000, seeds: int = 8,
              betas: tuple[float, ...] = BETAS, sgd_lr: float = 0.05) -> pd.DataFrame:
    """RMSProp's leftover bias on the trap against β (one engine call: β is a per-run array), with SGD
    and RProp as references. Columns ``config, beta, memory, bias`` where ``memory = 1/(1 − β)`` and
    ``bias`` is the settled x weight (negative: pulled towards the nine batches)."""
    scenario = SCENARIOS["minibatch-trap"].configure(pull=pull)
    beta = np.asarray(betas, dtype=float)[:, None]
    dial = run(scenario, {"RMSProp": RMSProp(lr=lr, beta=beta)}, steps=steps, seeds=seeds)
    refs = run(scenario, {"SGD": SGD(lr=sgd_lr), "RProp": RProp()}, steps=steps, seeds=seeds)
    half = steps // 2
    bias = dial.params[0, :, :, -half:, 0].mean(axis=(0, 2))  # per β: over seeds and the last half
    ref_bias = refs.params[:, :, -half:, 0].mean(axis=(1, 2))
    rows = [{"config": "RMSProp", "beta": float(b), "memory": 1.0 / (1.0 - b), "bias": float(v)}
            for b, v in zip(betas, bias, strict=True)]
    for label, v in zip(refs.labels, ref_bias, strict=True):
        rows += [{"config": label, "beta": float(b), "memory": 1.0 / (1.0 - b), "bias": float(v)} for b in betas]
    return pd.DataFrame(rows)


def tutorial_run(lr: float = 0.01, beta: float = 0.99, steps: int = TUTORIAL_STEPS) -> Race:
    """The tutorial's example: RMSProp (ε = 1e-8) on x² + y² from its random start."""
    return run(SCENARIOS["bowl"], {"RMSProp": RMSProp(lr=lr, beta=beta, eps=1e-8)}, steps=steps, seeds=1,
               start=TUTORIAL_START)


def tutorial_table(race: Race) -> str:
    """The iterations in the tutorial's own print format (its iteration n is the iterate after n+1 updates)."""
    lines = []
    with np.printoptions(precision=8, suppress=False):
        for n in range(1, race.params.shape[2]):
            point = race.params[0, 0, n]
            lines.append(f"iteration: {n - 1}  |  (x,y) = ({point})  |  eval_value = {race.loss[0, 0, n]:.5f}")
    return "\n".join(lines)


def tutorial_slip(lr: float = 0.01, beta: float = 0.99, steps: int = 3) -> list[tuple[float, float, float]]:
    """The tutorial's code as printed, index slip included: every coordinate is updated from
    ``current_solution_point[i]`` (the last coordinate), not ``[j]``. Returns ``(x, y, f)`` per iteration,
    which reproduces the original's printed table."""
    point = list(TUTORIAL_START)
    avg = [0.0, 0.0]
    out = []
    for _ in range(steps):
        grad = [2.0 * point[0], 2.0 * point[1]]
        for i in range(2):
            avg[i] = avg[i] * beta + grad[i] ** 2 * (1.0 - beta)
        i = 1  # the loop variable left over from the loop above
        point = [point[i] - lr / (1e-8 + avg[j] ** 0.5) * grad[j] for j in range(2)]
        out.append((point[0], point[1], point[0] ** 2 + point[1] ** 2))
    return out


def ravine_damping(steps: int = 200, sgd_lr: float = 0.18, rms_lr: float = 0.05) -> Race:
    """SGD at a learning rate near its stability limit (2/10) zig-zags across the axis-aligned ravine;
    RMSProp's per-coordinate scaling takes even steps along both axes."""
    return run(SCENARIOS["ravine"], {"SGD": SGD(lr=sgd_lr), "RMSProp": RMSProp(lr=rms_lr, beta=0.9)},
               steps=steps, seeds=1)
