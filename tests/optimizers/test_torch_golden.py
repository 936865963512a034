"""Replay torch.optim's recorded trajectories (tests/golden/torch_2_13.json) through our optimizers.

The file was written by tests/golden/make_golden.py with torch 2.13 in float64, so these tests need no
torch. SGD and RProp must agree to the last bit. RMSProp must too, up to the first step at which torch's
CPU sqrt (Intel MKL, faithfully rather than correctly rounded) gave a result one ulp off the correctly
rounded one; the generator recorded that step as ``first_sqrt_slip``. From there on the slip is carried
along, so the rest is compared with rtol 1e-12 plus an absolute slack of 1e-12 times the largest |value|
of that coordinate over the run (a relative tolerance alone fails where a coordinate passes close to
zero). That is about 10,000 ulps, far above 60 steps of 1-ulp slips (measured: < 1e-14) and far below
any real difference in the update rule (a wrong constant or a missing square root shows at 1e-8 or more).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from optimizers import SGD, RMSProp, RProp

GOLDEN = json.loads((Path(__file__).parents[1] / "golden" / "torch_2_13.json").read_text())
CLASSES = {"SGD": SGD, "RMSProp": RMSProp, "RProp": RProp}

# torch 2.13's own defaults (torch.optim.SGD / RMSprop / Rprop signatures), needed to read torch_kwargs.
TORCH_DEFAULTS: dict[str, dict[str, Any]] = {
    "SGD": {"momentum": 0, "dampening": 0, "nesterov": False, "weight_decay": 0},
    "RMSProp": {"lr": 0.01, "alpha": 0.99, "eps": 1e-8, "momentum": 0, "centered": False, "weight_decay": 0},
    "RProp": {"lr": 0.01, "etas": (0.5, 1.2), "step_sizes": (1e-6, 50)},
}


def case_id(case: dict[str, Any]) -> str:
    args = ",".join(f"{k}={v}" for k, v in case["kwargs"].items())
    return f"{case['optimizer']}({args})-{case['sequence']}"


def replay(case: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """Our trajectory and torch's for one recorded case, both of shape (steps, d)."""
    seq = GOLDEN["sequences"][case["sequence"]]
    opt = CLASSES[case["optimizer"]](**case["kwargs"])
    params = np.array(seq["start"])
    state = opt.init(params)
    rows = []
    for g in seq["grads"]:
        params, state = opt.step(params, np.array(g), state)
        rows.append(params)
    return np.array(rows), np.array(case["trajectory"])


def ours_from_torch(name: str, torch_kwargs: dict[str, Any]) -> dict[str, Any]:
    """torch's arguments (missing ones at torch's defaults) in our spelling."""
    kw = {**TORCH_DEFAULTS[name], **torch_kwargs}
    if name == "RMSProp":
        kw["beta"] = kw.pop("alpha")
    if name == "RProp":
        kw["eta_minus"], kw["eta_plus"] = kw.pop("etas")
        kw["step_min"], kw["step_max"] = kw.pop("step_sizes")
    return kw


def assert_close_to_torch(ours: np.ndarray, theirs: np.ndarray) -> None:
    """rtol 1e-12 plus an atol of 1e-12 times the largest |value| of the same coordinate over all steps."""
    slack = 1e-12 * np.abs(theirs) + 1e-12 * np.abs(theirs).max(axis=0)
    err = np.abs(ours - theirs)
    bad = ~(err <= slack)  # NaN counts as bad
    if bad.any():
        step, *where = np.argwhere(bad)[0]
        raise AssertionError(f"{bad.sum()} of {bad.size} values differ from torch; first at step {step}, "
                             f"index {tuple(where)}: ours {ours[bad][0]!r}, torch {theirs[bad][0]!r}")


@pytest.mark.parametrize("case", GOLDEN["cases"], ids=case_id)
def test_reproduces_torch_trajectory(case: dict[str, Any]) -> None:
    ours, theirs = replay(case)
    exact_until = len(theirs) if case.get("first_sqrt_slip") is None else case["first_sqrt_slip"]
    np.testing.assert_array_equal(ours[:exact_until], theirs[:exact_until])
    if exact_until < len(theirs):
        assert_close_to_torch(ours, theirs)


@pytest.mark.parametrize("case", GOLDEN["cases"], ids=case_id)
def test_recorded_arguments_mean_the_same_in_both_spellings(case: dict[str, Any]) -> None:
    # Guards the name mapping (beta ↔ alpha, etas, step_sizes) and that every case states what differs
    # between our defaults and torch's (RMSProp: beta 0.9 here, alpha 0.99 there).
    cls = CLASSES[case["optimizer"]]
    from_torch = cls(**ours_from_torch(case["optimizer"], case["torch_kwargs"])).hyperparams()
    assert from_torch == cls(**case["kwargs"]).hyperparams()


def test_golden_file_is_torch_2_13_and_covers_the_required_cases() -> None:
    assert GOLDEN["torch_version"].startswith("2.13.")
    for name, seq in GOLDEN["sequences"].items():
        g = np.array(seq["grads"])
        assert g.shape == (GOLDEN["steps"], 3), name
        assert (g == 0).any(), f"{name} has no exact zero gradient"
        assert (g[1:] * g[:-1] < 0).any(), f"{name} has no sign flip"
    by_optimizer = {name: [c for c in GOLDEN["cases"] if c["optimizer"] == name] for name in CLASSES}
    assert all(len(cases) >= 10 for cases in by_optimizer.values())
    rprop = [ours_from_torch("RProp", c["torch_kwargs"]) for c in by_optimizer["RProp"]]
    assert any(kw["lr"] < kw["step_min"] for kw in rprop)
    assert any(kw["lr"] > kw["step_max"] for kw in rprop)
    betas = {c["kwargs"]["beta"] for c in by_optimizer["RMSProp"]}
    assert {0.0, 0.99} <= betas
    assert any(c["kwargs"].get("centered") for c in by_optimizer["RMSProp"])
    assert all("first_sqrt_slip" in c for c in by_optimizer["RMSProp"])
    assert any(c["kwargs"].get("nesterov") for c in by_optimizer["SGD"])
