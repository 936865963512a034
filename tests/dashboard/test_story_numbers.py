"""dashboard/story.py: the numbers the story page tells, from the engine, against /work/shared/seed/NOTES.md.

NOTES.md (verified with torch.optim in float64):
* the trap, 2,000 steps: SGD ≈ 0, RProp = −0.1000 (the median of the batch minimisers), RMSProp −0.002 at
  β = 0.99 and −0.022 at β = 0.9;
* the tutorial's bowl run, corrected: iteration 0 (−0.06595602, 0.340649) f = 0.12039, iteration 1
  (−0.02886236, 0.27929536) f = 0.07884, iteration 2 (−0.01276125, 0.23417693) f = 0.05500, iteration 49
  (≈ −5.5e−23, 1.2502e−04); and with the original's index slip, iteration 0 (0.54064896, 0.340649) f = 0.40834.
"""

from __future__ import annotations

import itertools
import re

import numpy as np
import pytest

from dashboard import story
from optimizers import RMSProp
from scenarios import SCENARIOS, run

# -- the trap ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def settled():
    return story.settled(story.trap_race()).set_index("config")


def test_trap_uses_the_tutorials_beta():
    assert story.TrapSettings().rms_beta == 0.99
    assert story.TrapSettings().steps == 2000


def test_rprop_settles_at_the_median_of_the_batch_minimisers(settled):
    assert settled.loc["RProp", "x"] == pytest.approx(-0.1, abs=0.005)
    assert settled.loc["RProp", "y"] == pytest.approx(-0.1, abs=0.005)


@pytest.mark.parametrize("config", ["SGD", "RMSProp"])
def test_sgd_and_rmsprop_hold_near_the_true_minimum(settled, config):
    assert settled.loc[config, "distance"] < 0.03
    assert settled.loc[config, "distance"] == pytest.approx(np.hypot(settled.loc[config, "x"],
                                                                     settled.loc[config, "y"]))


def test_epoch_positions_average_each_epoch_then_take_the_median_over_seeds():
    race = story.trap_race(story.TrapSettings(steps=205, seeds=3))
    epochs = story.epoch_positions(race)
    assert epochs["epoch"].max() == 20  # the 5 updates of an unfinished epoch are left out
    x = race.params[:, :, 1:201, 0].reshape(3, 3, 20, 10).mean(-1)
    expected = np.median(x, axis=1)
    for k, label in enumerate(race.labels):
        got = epochs[epochs["config"] == label].sort_values("epoch")["x"].to_numpy()
        np.testing.assert_allclose(got, expected[k], rtol=1e-12, atol=1e-15)


# -- the β dial --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dial():
    return story.beta_dial()


def bias(dial, config: str, beta: float | None = None) -> float:
    rows = dial[dial["config"] == config]
    if beta is not None:
        rows = rows[np.isclose(rows["beta"], beta)]
    assert len(rows["bias"].unique()) == 1
    return float(rows["bias"].iloc[0])


def test_dial_bias_shrinks_as_beta_grows(dial):
    rms = dial[dial["config"] == "RMSProp"].sort_values("beta")
    assert rms["beta"].tolist() == list(story.BETAS)
    magnitude = np.abs(rms["bias"].to_numpy())
    assert np.all(np.diff(magnitude) < 0), magnitude
    assert (rms["bias"] < 0).all()  # pulled towards the nine batches
    np.testing.assert_allclose(rms["memory"], 1.0 / (1.0 - rms["beta"]))


def test_dial_ends_at_sign_descent_and_at_averaged_sgd(dial):
    assert bias(dial, "RMSProp", 0.0) == pytest.approx(bias(dial, "RProp"), abs=0.01)
    assert bias(dial, "RMSProp", 0.999) == pytest.approx(bias(dial, "SGD"), abs=0.005)
    assert bias(dial, "RProp") == pytest.approx(-0.1, abs=0.005)
    assert bias(dial, "SGD") == pytest.approx(0.0, abs=0.005)


@pytest.mark.parametrize(("beta", "notes"), [(0.9, -0.022), (0.99, -0.002)])
def test_dial_matches_the_notes_one_dimensional_numbers(dial, beta, notes):
    assert bias(dial, "RMSProp", beta) == pytest.approx(notes, rel=0.2)


def test_dial_cell_equals_rmsprop_run_alone():
    # One engine call with β as a per-run array must give what each β gives on its own.
    betas = (0.5, 0.9)
    dial = story.beta_dial(steps=400, seeds=3, betas=betas)
    scenario = SCENARIOS["minibatch-trap"].configure(pull=0.9)
    for beta in betas:
        alone = run(scenario, {"RMSProp": RMSProp(lr=0.01, beta=beta)}, steps=400, seeds=3)
        expected = alone.params[0, :, -200:, 0].mean()
        assert bias(dial, "RMSProp", beta) == pytest.approx(expected, rel=1e-12, abs=1e-15)


# -- the tutorial's run ------------------------------------------------------------------------------------

LINE = re.compile(r"^iteration: (\d+)  \|  \(x,y\) = \(\[\s*(\S+)\s+(\S+)\s*\]\)  \|  eval_value = (\S+)$")
NOTES = {  # iteration: (x, y, f)
    0: (-0.06595602, 0.340649, 0.12039),
    1: (-0.02886236, 0.27929536, 0.07884),
    2: (-0.01276125, 0.23417693, 0.05500),
}


@pytest.fixture(scope="module")
def table():
    race = story.tutorial_run()
    rows = {}
    for line in story.tutorial_table(race).splitlines():
        match = LINE.match(line)
        assert match, line
        n, x, y, f = match.groups()
        rows[int(n)] = (float(x), float(y), float(f))
    return race, rows


def test_tutorial_table_has_one_line_per_iteration(table):
    race, rows = table
    assert sorted(rows) == list(range(story.TUTORIAL_STEPS))
    assert race.params.shape[2] == story.TUTORIAL_STEPS + 1
    for n, (x, y, f) in rows.items():  # iteration n is the iterate after n + 1 updates
        np.testing.assert_allclose((x, y), race.params[0, 0, n + 1], rtol=1e-7, atol=1e-8)
        assert f == round(float(race.loss[0, 0, n + 1]), 5)


@pytest.mark.parametrize("n", sorted(NOTES))
def test_tutorial_table_matches_the_corrected_values(table, n):
    _, rows = table
    x, y, f = rows[n]
    nx, ny, nf = NOTES[n]
    assert abs(x - nx) <= 1e-8 + 1e-15  # eight decimals; the last digit may round either way
    assert abs(y - ny) <= 1e-8 + 1e-15
    assert f == nf


def test_tutorial_table_last_iteration(table):
    _, rows = table
    x, y, f = rows[49]
    assert x == pytest.approx(-5.5e-23, rel=0.01)
    assert y == pytest.approx(1.2502e-04, abs=1e-8)
    assert f == 0.0


def test_tutorial_slip_reproduces_the_originals_first_row():
    x, y, f = story.tutorial_slip()[0]
    assert abs(x - 0.54064896) <= 1e-8
    assert abs(y - 0.340649) <= 1e-8
    assert round(f, 5) == 0.40834
    assert f == pytest.approx(x * x + y * y)


def test_tutorial_slip_differs_from_the_corrected_run_only_in_x(table):
    _, rows = table
    slipped = story.tutorial_slip(steps=1)[0]
    assert slipped[1] == pytest.approx(rows[0][1], abs=1e-8)  # y is updated from its own value either way
    assert abs(slipped[0] - rows[0][0]) > 0.5


# -- RProp on a clean signal, and the trap's batch gradients -----------------------------------------------


@pytest.mark.parametrize(("eta_minus", "eta_plus"), [(0.5, 1.2), (0.3, 1.5)])
def test_clean_signal_steps_grow_by_eta_plus_and_shrink_by_eta_minus_after_a_flip(eta_minus, eta_plus):
    frame = story.clean_signal(eta_minus=eta_minus, eta_plus=eta_plus)
    sizes = frame["step_size"].to_numpy()
    assert frame["step"].tolist() == list(range(1, 61))
    assert sizes[0] == pytest.approx(0.01)  # the first step is lr
    first_flip = int(np.argmax(sizes == 0))
    assert first_flip > 5, "precondition: the sign holds for a while from x = −0.9"
    np.testing.assert_allclose(sizes[1:first_flip] / sizes[: first_flip - 1], eta_plus, rtol=1e-9)
    assert np.all(np.diff(frame["weight"].to_numpy()[:first_flip]) > 0)  # towards 0 while the sign holds
    # iRprop−: the flipped step does not move; the next one is the last step × η⁻, then growth resumes
    moved = np.flatnonzero(sizes > 0)
    for before, after in itertools.pairwise(moved):
        if sizes[before] < 1e-5:  # near Δmin the clipping takes over
            break
        factor = eta_minus if after - before > 1 else eta_plus
        assert sizes[after] == pytest.approx(sizes[before] * factor, rel=1e-9), (before, after)
    assert (np.diff(moved) <= 2).all()  # a flip costs exactly one zero step


@pytest.mark.parametrize(("pull", "w"), [(0.9, 0.0), (0.45, 0.0), (0.9, 0.3)])
def test_batch_gradients_nine_equal_one_opposite_summing_to_zero_at_the_minimum(pull, w):
    g = story.batch_gradients(pull=pull, w=w)
    assert g["batch"].tolist() == list(range(1, 11))
    grads = g["gradient"].to_numpy()
    assert grads.mean() == pytest.approx(w, abs=1e-12)  # ∑ ∂ℓᵢ/∂w = 10 w: zero at the minimum
    values, counts = np.unique(np.round(grads, 12), return_counts=True)
    assert sorted(counts) == [1, 9]
    common, rare = values[np.argmax(counts)], values[np.argmin(counts)]
    assert common - w == pytest.approx(pull / 9)
    assert rare - w == pytest.approx(-pull)
