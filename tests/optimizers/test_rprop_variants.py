"""RProp's four variants on short gradient sequences worked out by hand.

Common to all: Δ₀ = lr = 0.1, η⁻ = 0.5, η⁺ = 1.2, and a range [step_min, step_max] wide enough not to
clip unless a test says so. One coordinate, θ₀ = 0. Only the signs of the gradients matter, so the
sequence mixes magnitudes on purpose:

    t      1     2     3     4     5      6    7     8     9
    g      3     0.5   2    −7     0.25   0    1    −4    −2

The products g_prev·g that decide Δ depend on the variant, because the "i" and "+" variants set
g_prev ← 0 after a flip (so the next product is 0: Δ is neither grown nor shrunk again).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from optimizers import RProp, RPropState

GRADS = [3.0, 0.5, 2.0, -7.0, 0.25, 0.0, 1.0, -4.0, -2.0]

# iRprop− (torch.optim.Rprop):
#   t1 s=0 Δ=0.1   move −0.1     | t4 flip Δ=0.072 no move, g_prev←0 | t7 s=0 Δ=0.072 move −0.072
#   t2 s>0 Δ=0.12  move −0.12    | t5 s=0  Δ=0.072 move −0.072       | t8 flip Δ=0.036 no move, g_prev←0
#   t3 s>0 Δ=0.144 move −0.144   | t6 g=0  Δ=0.072 move 0, g_prev←0  | t9 s=0 Δ=0.036 move +0.036
# Rprop− (moves on a flip too, and keeps the gradient, so t5 is a second flip):
#   t1–t3 as above               | t4 flip Δ=0.072 move +0.072       | t7 s=0 Δ=0.036 move −0.036
#                                | t5 flip Δ=0.036 move −0.036       | t8 flip Δ=0.018 move +0.018
#                                | t6 g=0  Δ=0.036 move 0            | t9 s>0 Δ=0.0216 move +0.0216
# Rprop+ (a flip undoes the previous move, then g_prev←0):
#   t1–t3 as above               | t4 flip Δ=0.072 undo: +0.144      | t7 s=0 Δ=0.072 move −0.072
#                                | t5 s=0  Δ=0.072 move −0.072       | t8 flip Δ=0.036 undo: +0.072
#                                | t6 g=0  Δ=0.072 move 0            | t9 s=0 Δ=0.036 move +0.036
# iRprop+ undoes only where the loss went up: with the losses below it rose at t4 (3.5 > 3.0) and fell
# at t8 (2.5 < 2.9), so t4 is Rprop+'s undo and t8 is iRprop−'s standstill.
LOSSES = [5.0, 4.0, 3.0, 3.5, 3.0, 3.0, 2.9, 2.5, 2.4]

MOVES = {
    "irprop-": [-0.1, -0.12, -0.144, 0.0, -0.072, 0.0, -0.072, 0.0, 0.036],
    "rprop-": [-0.1, -0.12, -0.144, 0.072, -0.036, 0.0, -0.036, 0.018, 0.0216],
    "rprop+": [-0.1, -0.12, -0.144, 0.144, -0.072, 0.0, -0.072, 0.072, 0.036],
    "irprop+": [-0.1, -0.12, -0.144, 0.144, -0.072, 0.0, -0.072, 0.0, 0.036],
}
STEP_SIZES = {
    "irprop-": [0.1, 0.12, 0.144, 0.072, 0.072, 0.072, 0.072, 0.036, 0.036],
    "rprop-": [0.1, 0.12, 0.144, 0.072, 0.036, 0.036, 0.036, 0.018, 0.0216],
    "rprop+": [0.1, 0.12, 0.144, 0.072, 0.072, 0.072, 0.072, 0.036, 0.036],
    "irprop+": [0.1, 0.12, 0.144, 0.072, 0.072, 0.072, 0.072, 0.036, 0.036],
}


def run(opt: RProp, grads: list[float], losses: list[float] | None = None,
        state: RPropState | None = None) -> tuple[list[float], list[float]]:
    """(moves, step sizes) of a one-coordinate run from θ = 0."""
    params = np.zeros(1)
    state = opt.init(params) if state is None else state
    moves, sizes = [], []
    for t, g in enumerate(grads):
        new, state = opt.step(params, [g], state, loss=None if losses is None else losses[t])
        moves.append((new - params).item())
        sizes.append(state.step_sizes.item())
        params = new
    return moves, sizes


@pytest.mark.parametrize("variant", list(MOVES))
def test_hand_computed_sequence(variant: str) -> None:
    moves, sizes = run(RProp(lr=0.1, variant=variant), GRADS, LOSSES)
    assert moves == pytest.approx(MOVES[variant], rel=1e-12, abs=0)
    assert sizes == pytest.approx(STEP_SIZES[variant], rel=1e-12, abs=0)


def test_irprop_minus_docstring_example() -> None:
    moves, _ = run(RProp(lr=0.1), [1.0, 1.0, 1.0, -1.0, 1.0])
    assert np.abs(moves) == pytest.approx([0.1, 0.12, 0.144, 0.0, 0.072], rel=1e-12, abs=0)


@pytest.mark.parametrize(
    ("losses", "move_at_flip"),
    [
        ([5.0, 4.0, 3.0, 3.5], 0.144),  # went up: undo the previous move (−0.144)
        ([5.0, 4.0, 3.0, 2.0], 0.0),  # went down: stay, as iRprop−
        ([5.0, 4.0, 3.0, 3.0], 0.0),  # unchanged is not "up" (E_t > E_{t−1} is strict)
    ],
)
def test_irprop_plus_undoes_only_when_the_loss_went_up(losses: list[float], move_at_flip: float) -> None:
    moves, _ = run(RProp(lr=0.1, variant="irprop+"), [3.0, 0.5, 2.0, -7.0], losses)
    assert moves == pytest.approx([-0.1, -0.12, -0.144, move_at_flip], rel=1e-12, abs=0)


def test_irprop_plus_never_undoes_on_the_first_step() -> None:
    # A fresh state has no previous loss (NaN), so even a flip with a huge loss must not undo. Start from
    # a state that carries a gradient and a move over (say, resumed from elsewhere) but no loss.
    opt = RProp(lr=0.1, variant="irprop+")
    state = opt.init(np.zeros(1))._replace(prev_grad=np.array([1.0]), prev_update=np.array([-0.5]))
    assert np.isnan(state.prev_loss).all()
    moves, sizes = run(opt, [-1.0, -1.0], [1e9, 1e10], state=state)
    assert moves == pytest.approx([0.0, 0.05], rel=1e-12, abs=0)  # flip: Δ 0.1 → 0.05, no undo; then move
    assert sizes == pytest.approx([0.05, 0.05], rel=1e-12, abs=0)


@pytest.mark.parametrize("variant", list(MOVES))
def test_step_size_is_clipped_into_range(variant: str) -> None:
    # Steady sign with η⁺ = 2 from Δ₀ = 1: 1, 2, 3 (4 clipped to step_max), 3. Then an alternating sign:
    # Δ halves at each product < 0 down to step_min = 0.4 (the "i" and "+" variants see a zero product
    # after each flip, so they halve every other step).
    opt = RProp(lr=1.0, eta_minus=0.5, eta_plus=2.0, step_min=0.4, step_max=3.0, variant=variant)
    grads = [1.0, 1.0, 1.0, 1.0, -1.0, 1.0, -1.0, 1.0, -1.0, 1.0, -1.0]
    _, sizes = run(opt, grads, losses=list(range(len(grads))))
    if variant == "rprop-":  # every step from t5 on is a flip
        expected = [1.0, 2.0, 3.0, 3.0, 1.5, 0.75, 0.4, 0.4, 0.4, 0.4, 0.4]
    else:  # flip, zero product, flip, ...
        expected = [1.0, 2.0, 3.0, 3.0, 1.5, 1.5, 0.75, 0.75, 0.4, 0.4, 0.4]
    assert sizes == pytest.approx(expected, rel=1e-12, abs=0)


@pytest.mark.parametrize("variant", list(MOVES))
@pytest.mark.parametrize(("lr", "first_move"), [(100.0, 3.0), (1e-9, 1e-6)])
def test_initial_step_size_outside_the_range_is_clipped_on_the_first_step(
    variant: str, lr: float, first_move: float
) -> None:
    # torch's Rprop clips Δ on every step, the first included; we follow it for all variants.
    opt = RProp(lr=lr, step_min=1e-6, step_max=3.0, variant=variant)
    moves, sizes = run(opt, [-2.0], [1.0])
    assert moves == [first_move]
    assert sizes == [first_move]


@pytest.mark.parametrize("variant", list(MOVES))
def test_zero_gradient_does_not_move_and_keeps_step_size(variant: str) -> None:
    # After a flip the + variants would undo; a zero gradient makes a zero product, never a flip.
    moves, sizes = run(RProp(lr=0.1, variant=variant), [1.0, 1.0, 0.0, 0.0], [4.0, 3.0, 5.0, 6.0])
    assert moves[2:] == [0.0, 0.0]
    assert sizes[1:] == pytest.approx([0.12, 0.12, 0.12], rel=1e-12, abs=0)


def test_irprop_plus_without_loss_raises() -> None:
    opt = RProp(variant="irprop+")
    params = np.zeros((2, 3))
    with pytest.raises(ValueError, match=r"irprop\+.*needs the loss.*shape \(2,\)"):
        opt.step(params, np.ones((2, 3)), opt.init(params))


@pytest.mark.parametrize("variant", ["irprop-", "rprop-", "rprop+"])
def test_other_variants_ignore_the_loss(variant: str) -> None:
    with_loss, _ = run(RProp(lr=0.1, variant=variant), GRADS, LOSSES)
    without, _ = run(RProp(lr=0.1, variant=variant), GRADS)
    assert with_loss == without


def test_irprop_plus_per_run_losses_decide_per_run() -> None:
    # Two runs, same gradients; the loss rises at the flip in run 0 only, so only run 0 undoes.
    opt = RProp(lr=0.1, variant="irprop+")
    params = np.zeros((2, 1))
    state = opt.init(params)
    for g, loss in zip([3.0, 0.5, 2.0, -7.0], [[5, 5], [4, 4], [3, 3], [3.5, 2.5]], strict=True):
        new, state = opt.step(params, np.full((2, 1), g), state, loss=np.array(loss, dtype=float))
        last_move, params = new - params, new
    assert last_move[:, 0] == pytest.approx([0.144, 0.0], rel=1e-12, abs=0)




def test_nan_gradient_is_a_zero_gradient_as_in_torch() -> None:
    # t1 Δ=0.1 move −0.1 | t2 g=NaN: product NaN, sign 0 → Δ kept, sign(g)=0 → no move, g_prev←NaN
    # t3 product NaN again → Δ kept, move −0.1 (torch 2.13, checked in test_torch_live.py).
    moves, sizes = run(RProp(lr=0.1), [1.0, math.nan, 1.0])
    assert moves == pytest.approx([-0.1, 0.0, -0.1], rel=1e-12, abs=0)
    assert sizes == pytest.approx([0.1, 0.1, 0.1], rel=1e-12, abs=0)
