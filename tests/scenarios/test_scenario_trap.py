"""The mini-batch trap: the product's story, checked with the numbers in seed/NOTES.md.

Nine batches in ten pull towards (−p/9, −p/9), one pulls towards (p, p); the full objective ½‖w‖² is
minimised at the origin. RProp follows the majority sign and settles at the median batch minimiser
(−p/9, −p/9); SGD and RMSProp average and stay near the origin, RMSProp the closer the larger β.
"""

from __future__ import annotations

import numpy as np
import pytest

from optimizers import SGD, RMSProp, RProp
from scenarios import SCENARIOS, run

TRAP = SCENARIOS["minibatch-trap"]
TAIL = 1000  # time-average over the last TAIL iterates: the iterates keep jittering from batch to batch


@pytest.fixture(scope="module")
def race():
    """The dashboard's story view: default start, 8 seeds, 3,000 steps."""
    optimizers = {
        "SGD": SGD(lr=0.05),
        "RProp": RProp(),
        "RMSProp β=0.99": RMSProp(lr=0.01, beta=0.99),
        "RMSProp β=0.9": RMSProp(lr=0.01, beta=0.9),
        "RMSProp β=0.5": RMSProp(lr=0.01, beta=0.5),
    }
    return run(TRAP, optimizers, steps=3000, seeds=8)


def settled(race, label: str) -> np.ndarray:
    """Each seed's time-averaged position over the last TAIL steps: shape (n_seed, 2)."""
    i = race.labels.index(label)
    assert not race.diverged[i].any()
    return race.params[i, :, -TAIL:].mean(axis=1)


def test_rprop_settles_at_the_median_batch_minimiser(race):
    np.testing.assert_allclose(settled(race, "RProp"), -0.1, atol=0.01)


@pytest.mark.parametrize("label", ["SGD", "RMSProp β=0.99"])
def test_averaging_methods_settle_at_the_true_minimum(race, label):
    distance = np.linalg.norm(settled(race, label), axis=-1)
    assert distance.max() <= 0.03, distance


def test_rprop_final_loss_is_clearly_worse(race):
    """At (−0.1, −0.1) the full loss is ½·0.02 = 0.01; the averaging methods, jitter included, get far below."""
    final = race.loss[:, :, -TAIL:].mean(axis=(1, 2))
    by_label = dict(zip(race.labels, final, strict=True))
    assert by_label["RProp"] == pytest.approx(0.01, rel=0.01)
    assert by_label["SGD"] < 0.1 * by_label["RProp"]
    assert by_label["RMSProp β=0.99"] < 0.1 * by_label["RProp"]


def test_rmsprop_bias_shrinks_as_beta_grows(race):
    def bias(label):
        return np.linalg.norm(settled(race, label).mean(axis=0))

    b50, b90, b99 = bias("RMSProp β=0.5"), bias("RMSProp β=0.9"), bias("RMSProp β=0.99")
    assert b50 > 5 * b99
    assert b50 > b90 > b99
    # small β behaves like sign descent: its bias is most of RProp's
    assert b50 > 0.5 * bias("RProp")


def test_rprop_settles_at_minus_pull_over_nine():
    pulls = (0.45, 1.8)
    for pull in pulls:
        r = run(TRAP.configure(pull=pull), {"RProp": RProp(), "SGD": SGD(lr=0.05)}, steps=2000, seeds=4)
        np.testing.assert_allclose(settled(r, "RProp"), -pull / 9, atol=0.1 * pull / 9)
        assert np.abs(settled(r, "SGD")).max() < 0.01 * pull


# -- the 1-D numbers quoted in NOTES.md ---------------------------------------------------------------
# ℓᵢ(w) = ½w² + cᵢ·w, c = +0.1 on nine batches and −0.9 on one, shuffled epochs, 2,000 steps from w = 1.
# The trap with the default pull is the same problem in each coordinate: aᵢ = −cᵢ.

NOTES = [  # (optimizer, where NOTES.md says it sits, tolerance)
    ("SGD lr 0.01", SGD(lr=0.01), 0.0, 0.001),
    ("Rprop defaults", RProp(), -0.1, 0.001),
    ("RMSProp β 0.99", RMSProp(lr=0.01, beta=0.99), -0.002, 0.001),
    ("RMSProp β 0.9", RMSProp(lr=0.01, beta=0.9), -0.022, 0.002),
]


def one_dimensional_trap(opt, seeds: int = 8, steps: int = 2000) -> np.ndarray:
    """NOTES.md's experiment, written out independently of scenarios/: the time-averaged w per seed."""
    c = np.array([0.1] * 9 + [-0.9])
    batches = []
    for s in range(seeds):
        rng = np.random.default_rng(s)
        batches.append(np.concatenate([rng.permutation(c) for _ in range(steps // 10)]))
    c_t = np.stack(batches, axis=-1)[:, :, None]  # (steps, seeds, 1)
    w = np.ones((seeds, 1))
    state = opt.init(w)
    history = []
    for t in range(steps):
        w, state = opt.step(w, w + c_t[t], state, loss=(0.5 * w * w + c_t[t] * w)[:, 0])
        history.append(w[:, 0])
    return np.array(history)[-TAIL:].mean(axis=0)


@pytest.mark.parametrize(("name", "opt", "expected", "tol"), NOTES, ids=[n for n, *_ in NOTES])
def test_notes_numbers_in_one_dimension(name, opt, expected, tol):
    np.testing.assert_allclose(one_dimensional_trap(opt), expected, atol=tol)


def test_notes_numbers_on_the_trap():
    """From (1, 1) the trap's two coordinates are NOTES.md's 1-D problem, stepped by the engine."""
    opts = {name: opt for name, opt, *_ in NOTES}
    r = run(TRAP, opts, steps=2000, seeds=8, start=(1.0, 1.0))
    np.testing.assert_array_equal(r.params[..., 0], r.params[..., 1])  # the two coordinates move together
    for name, _, expected, tol in NOTES:
        np.testing.assert_allclose(settled(r, name)[:, 0], expected, atol=tol, err_msg=name)
