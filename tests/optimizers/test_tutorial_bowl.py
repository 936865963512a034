"""The tutorial's worked example: RMSProp on f(x, y) = x² + y², and why its printed table is wrong.

The tutorial starts from numpy.random.seed(1) in [−1, 1]², runs 50 iterations with step_size 0.01,
β = 0.99, ε = 1e-8, and prints each iterate with f. Its update reads ``current_solution_point[i]``, a
leftover loop index (i == 1 after the gradient loop), where it means ``[j]``, so both coordinates
start each step from y. See /work/shared/seed/NOTES.md.
"""

from __future__ import annotations

from math import sqrt

import numpy as np
import pytest

from optimizers import RMSProp

# The tutorial's draw, without touching numpy's global RNG: RandomState(1) is what seed(1) seeds.
START = -1.0 + 2.0 * np.random.RandomState(1).rand(2)

# Corrected rows (NOTES.md): iteration, (x, y) printed to 8 decimals, f printed to 5.
CORRECTED = [
    (0, (-0.06595602, 0.340649), "0.12039"),
    (1, (-0.02886236, 0.27929536), "0.07884"),
    (2, (-0.01276125, 0.23417693), "0.05500"),
]
# Rows the tutorial printed (its slip included), copied from its output.
PRINTED = [
    (0, (0.54064896, 0.340649), "0.40834"),
    (1, (0.24501018, 0.27929536), "0.13804"),
    (2, (0.23935992, 0.23417693), "0.11213"),
    (3, (0.19767195, 0.19863849), "0.07853"),
    (10, (0.06911364, 0.06915332), "0.00956"),
    (25, (0.00709123, 0.00709542), "0.00010"),
    (49, (0.00012494, 0.00012502), "0.00000"),
]


def f(x: float, y: float) -> float:
    return x**2.0 + y**2.0


def bowl_run(steps: int = 50) -> np.ndarray:
    opt = RMSProp(lr=0.01, beta=0.99, eps=1e-8)
    params, state = START, opt.init(START)
    rows = []
    for _ in range(steps):
        params, state = opt.step(params, 2 * params, state)
        rows.append(params)
    return np.array(rows)


def tutorial_loop(slip: bool, steps: int = 50) -> list[tuple[float, float]]:
    """The tutorial's loop in plain Python (with its list append restored); ``slip`` keeps ``[i]``."""
    current = [float(START[0]), float(START[1])]
    squared_gradient_avg = [0.0, 0.0]
    rows = []
    for _ in range(steps):
        gradient = [current[0] * 2.0, current[1] * 2.0]
        for i in range(2):
            squared_gradient_avg[i] = squared_gradient_avg[i] * 0.99 + gradient[i] ** 2.0 * (1.0 - 0.99)
        updated = []
        for j in range(2):
            alpha = 0.01 / (1e-8 + sqrt(squared_gradient_avg[j]))
            updated.append(current[i if slip else j] - alpha * gradient[j])
        current = updated
        rows.append((current[0], current[1]))
    return rows


def test_start_is_the_tutorials_seeded_draw() -> None:
    assert np.round(START, 8).tolist() == [-0.16595599, 0.44064899]


@pytest.mark.parametrize(("n", "xy", "f_text"), CORRECTED)
def test_corrected_rows(n: int, xy: tuple[float, float], f_text: str) -> None:
    row = bowl_run()[n]
    assert np.round(row, 8).tolist() == list(xy)
    assert f"{f(*row):.5f}" == f_text


def test_last_row() -> None:
    # NOTES.md: x has all but vanished (≈ −5.5e-23, so compare two significant digits); y is 1.2502e-04.
    x, y = bowl_run()[49]
    assert f"{x:.1e}" == "-5.5e-23"
    assert f"{y:.4e}" == "1.2502e-04"


def test_corrected_loop_is_our_rmsprop() -> None:
    # Without the slip the tutorial's loop is RMSProp; only rounding order differs (it divides lr by the
    # denominator first), which after 50 steps is far below the 8 printed decimals.
    ours = bowl_run()
    np.testing.assert_allclose(tutorial_loop(slip=False), ours, rtol=1e-9, atol=1e-15)


@pytest.mark.parametrize(("n", "xy", "f_text"), PRINTED)
def test_the_slip_reproduces_the_printed_table(n: int, xy: tuple[float, float], f_text: str) -> None:
    row = tutorial_loop(slip=True)[n]
    assert np.round(row, 8).tolist() == list(xy)
    assert f"{f(*row):.5f}" == f_text


def test_printed_and_corrected_first_rows_differ_only_in_x() -> None:
    # y's update reads y either way; x's reads y (0.44064899) instead of x (−0.16595599): a shift of 0.6066.
    printed, corrected = tutorial_loop(slip=True)[0], bowl_run()[0]
    assert printed[1] == pytest.approx(corrected[1], rel=1e-12)
    assert printed[0] - corrected[0] == pytest.approx(START[1] - START[0], rel=1e-9)
