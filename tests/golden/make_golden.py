"""Write tests/golden/torch_2_13.json: torch.optim trajectories that the tests replay without torch.

Run from the repository root with the pinned CPU build (requirements-dev.txt)::

    python tests/golden/make_golden.py

The output is deterministic: the gradient sequences come from a fixed numpy seed and do not depend on
the iterates, so the same torch build writes the same bytes. Each case runs one configuration of
``torch.optim.SGD``, ``RMSprop`` or ``Rprop`` in float64 (``foreach=False``: the per-tensor kernels a
CPU run uses by default) from a fixed start over a fixed gradient sequence, and records the parameters
after every step; RMSprop cases also record ``first_sqrt_slip`` (see :func:`sqrt_slipped`). ``kwargs``
holds the arguments in our spelling and ``torch_kwargs`` in torch's, made from ``kwargs`` by
:func:`torch_kwargs`, so the file documents the name mapping it relies on.

torch is imported inside :func:`main` so that ``pytest --doctest-modules`` can import this file on a
machine without torch.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

OUT = Path(__file__).with_name("torch_2_13.json")
SEED = 20130613
STEPS = 60
DIM = 3

# (our class name, our kwargs): each configuration runs over every sequence listed in SEQUENCES_FOR.
SGD_CASES: list[dict[str, Any]] = [
    {"lr": 0.1},
    {"lr": 0.05, "momentum": 0.9},
    {"lr": 0.05, "momentum": 0.5, "dampening": 0.5},
    {"lr": 0.05, "momentum": 0.9, "dampening": 1.0},
    {"lr": 0.05, "momentum": 0.9, "nesterov": True},
    {"lr": 0.1, "weight_decay": 0.1},
    {"lr": 0.05, "momentum": 0.9, "weight_decay": 0.01},
    {"lr": 0.02, "momentum": 0.5, "nesterov": True, "weight_decay": 0.3},
    {"lr": 0.01, "momentum": 0.99, "dampening": 0.1, "weight_decay": 0.5},
    {"lr": 0.7, "momentum": 0.3},
]
RMSPROP_CASES: list[dict[str, Any]] = [
    {"lr": 0.01, "beta": 0.99},  # torch's defaults
    {"lr": 0.01, "beta": 0.0},  # sign descent γ g / (|g| + ε)
    {"lr": 0.01, "beta": 0.5},
    {"lr": 0.01, "beta": 0.9},
    {"lr": 0.01, "beta": 0.999},
    {"lr": 0.05, "beta": 0.9, "eps": 1e-3},
    {"lr": 0.05, "beta": 0.9, "eps": 1e-12},
    {"lr": 0.01, "beta": 0.99, "momentum": 0.9},
    {"lr": 0.01, "beta": 0.9, "centered": True},
    {"lr": 0.01, "beta": 0.99, "centered": True, "momentum": 0.5},
    {"lr": 0.01, "beta": 0.9, "weight_decay": 0.1},
    {"lr": 0.02, "beta": 0.95, "eps": 1e-6, "momentum": 0.8, "centered": True, "weight_decay": 0.01},
    {"lr": 0.1, "beta": 0.5, "momentum": 0.3, "weight_decay": 0.5},
]
RPROP_CASES: list[dict[str, Any]] = [
    {},  # torch's defaults: lr 0.01, etas (0.5, 1.2), step_sizes (1e-6, 50)
    {"lr": 0.1, "eta_minus": 0.3, "eta_plus": 1.5},
    {"lr": 0.1, "eta_minus": 0.9, "eta_plus": 1.05},
    {"lr": 0.01, "step_min": 1e-3, "step_max": 0.05},  # Δ runs into step_max
    {"lr": 0.1, "eta_minus": 0.1, "step_min": 0.005},  # Δ runs into step_min
    {"lr": 0.01, "step_min": 0.02, "step_max": 1.0},  # lr below step_min: clipped up on the first step
    {"lr": 5.0, "step_max": 1.0},  # lr above step_max: clipped down on the first step
    {"lr": 0.05, "eta_plus": 2.0, "step_min": 0.0, "step_max": 0.3},
]
CASES = {"SGD": SGD_CASES, "RMSProp": RMSPROP_CASES, "RProp": RPROP_CASES}
# "extreme" has gradients whose pairwise products underflow to 0 (1e-170²) or are huge (1e150²): only
# their signs matter to Rprop, and torch counts an underflowed product as "no sign information".
SEQUENCES_FOR = {"SGD": ("noisy", "flips"), "RMSProp": ("noisy", "flips"), "RProp": ("noisy", "flips", "extreme")}


def torch_kwargs(name: str, kwargs: dict[str, Any]) -> dict[str, Any]:
    """Our constructor arguments in torch's spelling (RMSProp's beta is alpha; RProp pairs its ranges)."""
    if name == "SGD":
        return dict(kwargs)
    if name == "RMSProp":
        return {("alpha" if k == "beta" else k): v for k, v in kwargs.items()}
    out = {k: v for k, v in kwargs.items() if k == "lr"}
    out["etas"] = [kwargs.get("eta_minus", 0.5), kwargs.get("eta_plus", 1.2)]
    out["step_sizes"] = [kwargs.get("step_min", 1e-6), kwargs.get("step_max", 50.0)]
    return out


def make_sequences(rng: np.random.Generator) -> dict[str, dict[str, list]]:
    """Three gradient sequences of STEPS x DIM, each with exact zeros and sign flips, and a start point."""
    shape = (STEPS, DIM)

    # Gaussian directions over four decades of scale, with about one exact zero in six.
    noisy = rng.standard_normal(shape) * 10.0 ** rng.uniform(-2, 2, size=shape)
    noisy[rng.random(shape) < 1 / 6] = 0.0

    # Coordinate 0 flips every step, 1 every third step, 2 at random; zeros in runs of two.
    t = np.arange(STEPS)
    signs = np.stack([(-1.0) ** t, (-1.0) ** (t // 3), rng.choice([-1.0, 1.0], size=STEPS)], axis=1)
    flips = signs * rng.uniform(0.1, 3.0, size=shape)
    flips[[7, 8, 30, 31, 45], :] = 0.0
    flips[rng.random(shape) < 0.1] = 0.0

    # Coordinate 0 tiny (products underflow), 1 huge (products near 1e300), 2 ordinary.
    scale = np.array([1e-170, 1e150, 1.0])
    extreme = rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.5, 2.0, size=shape) * scale
    extreme[rng.random(shape) < 0.15] = 0.0

    return {
        name: {"start": rng.standard_normal(DIM).tolist(), "grads": grads.tolist()}
        for name, grads in (("noisy", noisy), ("flips", flips), ("extreme", extreme))
    }


def trajectory(torch: Any, name: str, kwargs: dict[str, Any], start: list[float], grads: list) -> dict[str, Any]:
    """The params after every step; for RMSprop also the first step whose sqrt was not correctly rounded."""
    cls = {"SGD": torch.optim.SGD, "RMSProp": torch.optim.RMSprop, "RProp": torch.optim.Rprop}[name]
    param = torch.tensor(start, dtype=torch.float64)
    param.grad = torch.zeros_like(param)
    opt = cls([param], foreach=False, **torch_kwargs(name, kwargs))
    rows, first_sqrt_slip = [], None
    for t, g in enumerate(grads):
        param.grad.copy_(torch.tensor(g, dtype=torch.float64))
        opt.step()
        rows.append(param.tolist())
        if name == "RMSProp" and first_sqrt_slip is None and sqrt_slipped(opt.state[param], kwargs):
            first_sqrt_slip = t
    if not np.isfinite(rows).all():
        raise RuntimeError(f"{name}({kwargs}) left the finite floats; golden files hold finite numbers only")
    out: dict[str, Any] = {"trajectory": rows}
    if name == "RMSProp":
        out["first_sqrt_slip"] = first_sqrt_slip
    return out


def sqrt_slipped(state: dict[str, Any], kwargs: dict[str, Any]) -> bool:
    """Did torch's sqrt in this step round differently from the correctly rounded one (numpy's)?

    torch's CPU sqrt (Intel MKL) is faithfully rounded: about one value in a hundred is one ulp off. Before
    the first such step our RMSProp must match torch to the bit; after it, only to within a tolerance.
    """
    radicand = state["square_avg"]
    if kwargs.get("centered"):
        radicand = radicand.addcmul(state["grad_avg"], state["grad_avg"], value=-1)
    return bool((radicand.sqrt().numpy() != np.sqrt(radicand.numpy())).any())


def dumps(golden: dict[str, Any]) -> str:
    """Compact JSON with one top-level entry, sequence and case per line, so that a diff shows which changed.

    json writes floats with repr, the shortest string that reads back as the same double.
    """
    def one(value: Any) -> str:
        return json.dumps(value, separators=(",", ":"), allow_nan=False)

    def entry(key: str, value: Any) -> str:
        if isinstance(value, dict):
            return f"{one(key)}:{{\n" + ",\n".join(f"{one(k)}:{one(v)}" for k, v in value.items()) + "\n}"
        if isinstance(value, list):
            return f"{one(key)}:[\n" + ",\n".join(one(v) for v in value) + "\n]"
        return f"{one(key)}:{one(value)}"

    return "{\n" + ",\n".join(entry(k, v) for k, v in golden.items()) + "\n}\n"


def main() -> None:
    import torch

    if not torch.__version__.startswith("2.13."):
        sys.exit(f"the golden file is for torch 2.13 (requirements-dev.txt); this is torch {torch.__version__}")
    torch.set_default_dtype(torch.float64)
    sequences = make_sequences(np.random.default_rng(SEED))
    cases = []
    for name, configs in CASES.items():
        for kwargs in configs:
            for seq in SEQUENCES_FOR[name]:
                run = trajectory(torch, name, kwargs, sequences[seq]["start"], sequences[seq]["grads"])
                cases.append({"optimizer": name, "kwargs": kwargs, "torch_kwargs": torch_kwargs(name, kwargs),
                              "sequence": seq, **run})
    golden = {
        "about": "torch.optim trajectories in float64 (params after each step); made by tests/golden/make_golden.py",
        "torch_version": torch.__version__,
        "numpy_seed": SEED,
        "steps": STEPS,
        "sequences": sequences,
        "cases": cases,
    }
    OUT.write_text(dumps(golden))
    print(f"wrote {len(cases)} trajectories to {OUT} ({OUT.stat().st_size / 1024:.0f} KB)")


if __name__ == "__main__":
    main()
