"""The race engine: what a Race holds, common random numbers, determinism, divergence, vectorised sweeps.

The main oracle is :func:`replay`, a plain loop over one (optimizer, seed) run written from the documented
contract (samples from ``SeedSequence([crc32(key), seed])`` drawn before anything steps, then ``batch``
and ``step`` once per step). The engine steps every run at once; it must give the same numbers, bit for bit.
"""

from __future__ import annotations

import itertools
import warnings
import zlib

import numpy as np
import pytest

from optimizers import SGD, RMSProp, RProp
from scenarios import SCENARIOS, Landscape, run

# One noisy configuration of each kind of gradient stream.
NOISY = {
    "bowl-skewed": SCENARIOS["bowl"].configure(noise="skewed", sigma=1.0),
    "rosenbrock-gaussian": SCENARIOS["rosenbrock"].configure(noise="gaussian", sigma=20.0),
    "himmelblau-none": SCENARIOS["himmelblau"],
    "trap": SCENARIOS["minibatch-trap"],
    "least-squares-b7": SCENARIOS["least-squares"].configure(batch_size=7),
    "logistic-b10": SCENARIOS["logistic"].configure(batch_size=10),
}
STOCHASTIC = {k: v for k, v in NOISY.items() if k != "himmelblau-none"}

OPTIMIZERS = {
    "SGD+momentum": SGD(lr=1e-3, momentum=0.9),
    "iRprop+": RProp(variant="irprop+"),
    "RMSProp centered": RMSProp(lr=0.01, beta=0.9, momentum=0.5, centered=True),
}


def replay(scenario, opt, seed: int, steps: int, start=None):
    """One run by hand: (params (steps+1, 2), loss (steps+1,), batch_loss (steps+1,))."""
    key = zlib.crc32(scenario.key.encode())
    samples = scenario.problem.draw(np.random.default_rng([key, seed]), steps)
    p = np.array(scenario.start if start is None else start, dtype=float)
    state = opt.init(p)
    params, loss, batch_loss = [], [], []
    for t in range(steps + 1):
        bl, g = scenario.problem.batch(p, samples[t])
        params.append(p)
        loss.append(scenario.loss(p))
        batch_loss.append(bl)
        p, state = opt.step(p, g, state, loss=bl)
    return np.array(params), np.array(loss), np.array(batch_loss)


def assert_runs_equal(a, b) -> None:
    """Two races (or slices of the same shape) hold exactly the same numbers, NaN where the other has NaN."""
    for field in ("params", "loss", "batch_loss", "diverged_at"):
        x, y = getattr(a, field), getattr(b, field)
        assert np.array_equal(x, y, equal_nan=True), field


class Slice:
    """Optimizer ``i`` (and optionally configuration ``c``) of a Race, with the fields assert_runs_equal reads."""

    def __init__(self, race, i, c=()):
        index = (i, slice(None), *c)
        self.params = race.params[index]
        self.loss = race.loss[index]
        self.batch_loss = race.batch_loss[index]
        self.diverged_at = race.diverged_at[index]


# -- what a race holds --------------------------------------------------------------------------------


@pytest.mark.parametrize("key", list(SCENARIOS))
def test_race_shapes_and_start(key):
    sc = SCENARIOS[key]
    (x_lo, x_hi), (y_lo, y_hi) = sc.bounds
    custom = (0.25 * x_lo + 0.75 * x_hi, 0.6 * y_lo + 0.4 * y_hi)
    for start, expected in ((None, sc.start), (custom, custom)):
        race = run(sc, {"a": SGD(lr=1e-4), "b": RProp()}, steps=6, seeds=3, start=start)
        assert race.scenario == key
        assert race.labels == ("a", "b")
        assert race.seeds == (0, 1, 2)
        np.testing.assert_array_equal(race.steps, np.arange(7))
        assert race.params.shape == (2, 3, 7, 2)
        assert race.loss.shape == race.batch_loss.shape == (2, 3, 7)
        assert race.diverged_at.shape == (2, 3)
        np.testing.assert_array_equal(race.diverged_at, -1)
        assert not race.diverged.any()
        np.testing.assert_array_equal(race.params[:, :, 0], np.broadcast_to(expected, (2, 3, 2)))


@pytest.mark.parametrize("record_every", [1, 7])
@pytest.mark.parametrize("case", list(NOISY))
def test_loss_is_the_full_objective_at_every_recorded_step(case, record_every):
    sc = NOISY[case]
    race = run(sc, OPTIMIZERS, steps=60, seeds=3, record_every=record_every)
    np.testing.assert_allclose(race.loss, sc.loss(race.params), rtol=1e-14, atol=0)


NOISELESS = {
    **{k: sc for k, sc in SCENARIOS.items() if isinstance(sc.problem, Landscape)},
    "bowl-gaussian-sigma-0": SCENARIOS["bowl"].configure(noise="gaussian", sigma=0.0),
    "least-squares-full-batch": SCENARIOS["least-squares"].configure(batch_size=120),
    "logistic-full-batch": SCENARIOS["logistic"].configure(batch_size=100),
}


@pytest.mark.parametrize("case", list(NOISELESS))
def test_batch_loss_is_the_loss_without_noise(case):
    sc = NOISELESS[case]
    race = run(sc, OPTIMIZERS, steps=40, seeds=2)
    # a full batch sums the examples in a shuffled order: equal up to rounding
    np.testing.assert_allclose(race.batch_loss, race.loss, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("case", list(NOISY))
def test_engine_equals_a_hand_written_loop(case):
    sc = NOISY[case]
    seeds = (0, 3)
    race = run(sc, OPTIMIZERS, steps=80, seeds=seeds)
    for i, opt in enumerate(OPTIMIZERS.values()):
        for j, seed in enumerate(seeds):
            params, loss, batch_loss = replay(sc, opt, seed, 80)
            np.testing.assert_array_equal(race.params[i, j], params)
            np.testing.assert_array_equal(race.loss[i, j], loss)
            np.testing.assert_array_equal(race.batch_loss[i, j], batch_loss)


def test_batch_loss_is_the_noisy_loss_of_the_seed_stream():
    """Skewed noise: batch loss = f(θ) + ξ_t·θ with ξ_t from the seed's own stream, at every step."""
    sc = NOISY["bowl-skewed"]
    race = run(sc, {"RMSProp": RMSProp(lr=0.01)}, steps=50, seeds=(4, 9))
    for j, seed in enumerate(race.seeds):
        xi = sc.problem.draw(np.random.default_rng([zlib.crc32(b"bowl"), seed]), 50)
        p = race.params[0, j]
        np.testing.assert_allclose(race.batch_loss[0, j], sc.loss(p) + (xi * p).sum(-1), rtol=1e-13, atol=1e-15)


# -- common random numbers and determinism ------------------------------------------------------------


@pytest.mark.parametrize("case", list(NOISY))
def test_other_optimizers_never_change_a_trajectory(case):
    sc = NOISY[case]
    a = {"A": RMSProp(lr=0.01, beta=0.9)}
    b = {"B": RProp(variant="irprop+"), "C": SGD(lr=1e-3, momentum=0.5)}
    alone = run(sc, a, steps=120, seeds=4)
    after = run(sc, {**a, **b}, steps=120, seeds=4)
    before = run(sc, {**b, **a}, steps=120, seeds=4)
    assert before.labels == ("B", "C", "A")
    assert_runs_equal(Slice(alone, 0), Slice(after, 0))
    assert_runs_equal(Slice(alone, 0), Slice(before, 2))
    assert_runs_equal(Slice(after, 1), Slice(before, 0))


@pytest.mark.parametrize("case", list(NOISY))
def test_a_seed_sees_the_same_samples_whatever_seeds_run_beside_it(case):
    sc = NOISY[case]
    opts = {"RProp": RProp(), "RMSProp": RMSProp(lr=0.01)}
    many = run(sc, opts, steps=60, seeds=5)
    picked = run(sc, opts, steps=60, seeds=(4, 1))
    assert picked.seeds == (4, 1)
    np.testing.assert_array_equal(picked.params, many.params[:, [4, 1]])
    np.testing.assert_array_equal(picked.batch_loss, many.batch_loss[:, [4, 1]])


@pytest.mark.parametrize("case", list(STOCHASTIC))
def test_different_seeds_see_different_noise(case):
    sc = NOISY[case]
    race = run(sc, {"still": SGD(lr=0.0)}, steps=30, seeds=4)  # lr 0: every step is taken at the start
    observed = race.batch_loss[0] - race.loss[0]  # (seed, step): what the noise or the batch changed
    assert np.ptp(observed[0]) > 0
    for j in range(1, 4):
        assert not np.allclose(observed[0], observed[j]), f"seeds 0 and {j} saw the same stream"


def test_the_scenario_key_enters_the_seed():
    """Same seed, same start, same noise settings, another scenario: another noise stream."""
    streams = []
    for key in ("ravine", "rotated-ravine"):
        sc = SCENARIOS[key].configure(noise="gaussian", sigma=1.0)
        race = run(sc, {"still": SGD(lr=0.0)}, steps=20, seeds=1, start=(0.5, 0.5))
        streams.append(race.batch_loss[0, 0] - race.loss[0, 0])  # ξ_t · (0.5, 0.5)
    assert not np.allclose(streams[0], streams[1])


@pytest.mark.parametrize("case", list(NOISY))
def test_sample_at_step_t_does_not_depend_on_the_number_of_steps(case):
    sc = NOISY[case]
    short = run(sc, OPTIMIZERS, steps=50, seeds=3)
    long = run(sc, OPTIMIZERS, steps=100, seeds=3)
    np.testing.assert_array_equal(long.params[:, :, :51], short.params)
    np.testing.assert_array_equal(long.loss[:, :, :51], short.loss)
    np.testing.assert_array_equal(long.batch_loss[:, :, :51], short.batch_loss)


def test_same_call_twice_gives_identical_arrays():
    sc = SCENARIOS["rosenbrock"].configure(noise="gaussian", sigma=5.0)
    opts = {"boom": SGD(lr=0.5), "RProp": RProp(), "RMSProp": RMSProp(lr=np.array([[1e-3], [1e-2]]))}
    first = run(sc, opts, steps=100, seeds=3)
    second = run(sc, opts, steps=100, seeds=3)
    assert np.isnan(first.params).any()  # the comparison covers NaN positions too
    assert_runs_equal(first, second)
    np.testing.assert_array_equal(first.steps, second.steps)


def test_run_does_not_touch_the_global_random_state():
    # The legacy global generator is what this test watches, so it has to call it.
    np.random.seed(123)  # noqa: NPY002
    expected = np.random.random(3)  # noqa: NPY002
    np.random.seed(123)  # noqa: NPY002
    run(NOISY["rosenbrock-gaussian"], OPTIMIZERS, steps=20, seeds=2)
    run(NOISY["trap"], OPTIMIZERS, steps=20, seeds=2)
    np.testing.assert_array_equal(np.random.random(3), expected)  # noqa: NPY002


# -- divergence ---------------------------------------------------------------------------------------

CALM = {"SGD lr 1e-3": SGD(lr=1e-3), "RProp": RProp(), "RMSProp": RMSProp(lr=0.01)}


def assert_diverged_cleanly(race, i) -> None:
    """Run ``i`` diverged on every seed at step ≥ 1; finite before, NaN from then on."""
    for j, at in enumerate(race.diverged_at[i]):
        assert at >= 1
        k = np.searchsorted(race.steps, at)  # first recorded step at or after the divergence
        for field in (race.params, race.loss, race.batch_loss):
            assert np.all(np.isfinite(field[i, j, :k]))
            assert np.all(np.isnan(field[i, j, k:]))


@pytest.mark.parametrize("noise", ["none", "gaussian"])
def test_a_diverging_run_stops_and_the_others_carry_on(noise):
    sc = SCENARIOS["rosenbrock"].configure(noise=noise, sigma=0.0 if noise == "none" else 10.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        race = run(sc, {"SGD lr 0.5": SGD(lr=0.5), **CALM}, steps=200, seeds=3)
        calm = run(sc, CALM, steps=200, seeds=3)
    assert race.diverged[0].all()
    assert_diverged_cleanly(race, 0)
    np.testing.assert_array_equal(race.diverged_at[1:], -1)
    for i in range(len(CALM)):
        assert_runs_equal(Slice(race, i + 1), Slice(calm, i))


@pytest.mark.parametrize(
    ("sc", "boom"),
    [(SCENARIOS["minibatch-trap"], SGD(lr=100.0)),
     (SCENARIOS["least-squares"].configure(batch_size=10), SGD(lr=20.0)),
     (SCENARIOS["rastrigin"].configure(noise="skewed", sigma=3.0), SGD(lr=2.0))],
    ids=["trap", "least-squares", "rastrigin"],
)
def test_divergence_on_other_streams(sc, boom):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        race = run(sc, {"boom": boom, **CALM}, steps=400, seeds=2)
        calm = run(sc, CALM, steps=400, seeds=2)
    assert_diverged_cleanly(race, 0)
    for i in range(len(CALM)):
        assert_runs_equal(Slice(race, i + 1), Slice(calm, i))


def test_divergence_between_recorded_steps():
    sc = SCENARIOS["rosenbrock"]
    full = run(sc, {"boom": SGD(lr=0.5), **CALM}, steps=60, seeds=2)
    thin = run(sc, {"boom": SGD(lr=0.5), **CALM}, steps=60, seeds=2, record_every=7)
    at = full.diverged_at[0, 0]
    assert at % 7 != 0  # the divergence happens at a step that is not recorded
    np.testing.assert_array_equal(thin.diverged_at, full.diverged_at)
    assert_diverged_cleanly(thin, 0)


def test_one_configuration_of_a_sweep_diverges_alone():
    sc = SCENARIOS["rosenbrock"]
    lr = np.array([[1e-3], [0.5], [2e-3]])
    sweep = run(sc, {"SGD": SGD(lr=lr), "RProp": RProp()}, steps=100, seeds=2)
    np.testing.assert_array_equal(sweep.diverged, [[[False, True, False]] * 2, [[False] * 3] * 2])
    for c, value in enumerate(lr[:, 0]):
        alone = run(sc, {"SGD": SGD(lr=float(value)), "RProp": RProp()}, steps=100, seeds=2)
        for i in range(2):
            assert_runs_equal(Slice(sweep, i, (c,)), Slice(alone, i))


def test_no_numpy_warning_and_error_state_restored():
    before = np.geterr()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        race = run(SCENARIOS["rosenbrock"], {"boom": SGD(lr=0.5)}, steps=30, seeds=1)
        assert race.diverged.all()
        # the engine's errstate does not leak: numpy still warns outside run()
        with pytest.raises(RuntimeWarning):
            np.array([1e308]) * 10
    assert np.geterr() == before


# -- vectorised hyperparameters and record_every -----------------------------------------------------

SWEEPS = [  # (optimizer class, fixed kwargs, array-valued kwargs: one value per configuration)
    (RMSProp, {}, {"lr": [1e-3, 1e-2, 5e-2], "beta": [0.5, 0.9, 0.99]}),
    (RMSProp, {"centered": True}, {"momentum": [0.0, 0.9], "eps": [1e-8, 1e-3]}),
    (SGD, {}, {"lr": [1e-4, 1e-3, 3e-3], "momentum": [0.0, 0.5, 0.9]}),
    (RProp, {"variant": "irprop+"}, {"lr": [1e-3, 0.1], "eta_plus": [1.1, 1.5]}),
    (RProp, {"variant": "rprop+"}, {"eta_minus": [0.3, 0.7], "step_max": [0.05, 50.0]}),
]


@pytest.mark.parametrize("case", ["rosenbrock-gaussian", "trap", "logistic-b10"])
@pytest.mark.parametrize(("cls", "fixed", "arrays"), SWEEPS, ids=[f"{c.__name__}-{'-'.join(a)}" for c, _, a in SWEEPS])
def test_each_configuration_equals_its_own_run(case, cls, fixed, arrays):
    sc = NOISY[case]
    n_config = len(next(iter(arrays.values())))
    opt = cls(**fixed, **{k: np.array(v)[:, None] for k, v in arrays.items()})
    sweep = run(sc, {"sweep": opt}, steps=80, seeds=2)
    assert sweep.params.shape == (1, 2, n_config, 81, 2)
    assert sweep.loss.shape == sweep.batch_loss.shape == (1, 2, n_config, 81)
    assert sweep.diverged_at.shape == (1, 2, n_config)
    for c in range(n_config):
        alone = run(sc, {"sweep": cls(**fixed, **{k: float(v[c]) for k, v in arrays.items()})}, steps=80, seeds=2)
        assert_runs_equal(Slice(sweep, 0, (c,)), Slice(alone, 0))


def test_float_optimizer_beside_a_sweep_is_broadcast_over_configurations():
    sc = NOISY["least-squares-b7"]
    sweep = run(sc, {"RMSProp": RMSProp(lr=np.array([[1e-3], [1e-2]])), "RProp": RProp()}, steps=50, seeds=3)
    alone = run(sc, {"RProp": RProp()}, steps=50, seeds=3)
    assert sweep.params.shape == (2, 3, 2, 51, 2)
    for c in range(2):
        assert_runs_equal(Slice(sweep, 1, (c,)), Slice(alone, 0))


def test_two_configuration_axes():
    sc = NOISY["bowl-skewed"]
    lr = np.array([1e-3, 1e-2])[:, None, None]  # (2, 1, 1)
    beta = np.array([0.5, 0.9, 0.99])[:, None]  # (3, 1)
    sweep = run(sc, {"RMSProp": RMSProp(lr=lr, beta=beta)}, steps=40, seeds=2)
    assert sweep.params.shape == (1, 2, 2, 3, 41, 2)
    for a in range(2):
        for b in range(3):
            alone = run(sc, {"RMSProp": RMSProp(lr=float(lr[a, 0, 0]), beta=float(beta[b, 0]))}, steps=40, seeds=2)
            assert_runs_equal(Slice(sweep, 0, (a, b)), Slice(alone, 0))


@pytest.mark.parametrize(("steps", "k"), [(100, 10), (100, 7), (100, 1), (100, 100), (100, 150), (1, 3)])
def test_record_every(steps, k):
    sc = NOISY["trap"]
    opts = {"SGD": SGD(lr=0.05), "RProp": RProp(variant="irprop+"), "RMSProp": RMSProp(lr=np.array([[0.01], [0.1]]))}
    full = run(sc, opts, steps=steps, seeds=2)
    thin = run(sc, opts, steps=steps, seeds=2, record_every=k)
    expected = sorted(set(range(0, steps + 1, k)) | {steps})
    np.testing.assert_array_equal(thin.steps, expected)
    assert thin.params.shape[-2] == len(expected)
    np.testing.assert_array_equal(thin.params, full.params[..., expected, :])
    np.testing.assert_array_equal(thin.loss, full.loss[..., expected])
    np.testing.assert_array_equal(thin.batch_loss, full.batch_loss[..., expected])
    np.testing.assert_array_equal(thin.diverged_at, full.diverged_at)


def test_record_every_does_not_change_when_an_iterate_diverges():
    # Divergence of the iterate or the batch loss is checked at every step, whatever record_every is.
    sc = SCENARIOS["rosenbrock"].configure(noise="gaussian", sigma=5.0)
    opts = {"huge": SGD(lr=0.5), "fine": SGD(lr=1e-3)}
    full = run(sc, opts, steps=40, seeds=3)
    thin = run(sc, opts, steps=40, seeds=3, record_every=7)
    np.testing.assert_array_equal(thin.diverged_at, full.diverged_at)
    np.testing.assert_array_equal(thin.params, full.params[..., thin.steps, :])


def test_record_every_checks_the_full_loss_only_where_it_is_recorded():
    # Documented limit: with record_every > 1 the full loss is evaluated only at recorded steps. A logistic
    # run near 1e307 has finite batch losses (one example) while the mean over all 100 overflows; the full
    # run stops there, the thinned run only notices where it records.
    sc = SCENARIOS["logistic"].configure(batch_size=1)
    opts = {"huge lr": SGD(lr=1e307)}
    full = run(sc, opts, steps=20, seeds=2)
    thin = run(sc, opts, steps=20, seeds=2, record_every=5)
    assert (full.diverged_at >= 0).all()
    assert not np.array_equal(thin.diverged_at, full.diverged_at)
    assert np.isfinite(thin.loss[thin.diverged_at < 0]).all()  # what is recorded is finite or the run stopped


def test_progress_is_reported_about_twenty_times_in_order():
    fractions = []
    run(NOISY["trap"], {"SGD": SGD(lr=0.05)}, steps=200, seeds=1, progress=fractions.append)
    assert 10 <= len(fractions) <= 40
    assert all(0 < a < b <= 1 for a, b in itertools.pairwise(fractions))
    assert fractions[-1] == 1.0
