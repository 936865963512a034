"""The gradient streams: unbiased over an epoch (finite sums) or in expectation (additive noise).

Mini-batches are drawn in shuffled epochs, so when the batch size divides the data set, the batch gradients
of one epoch average to the full gradient *exactly* (up to rounding) at every point. Additive noise is
only unbiased in expectation: its moments are checked over many draws with tolerances of about five
standard errors.
"""

from __future__ import annotations

import numpy as np
import pytest

from scenarios import SCENARIOS

N_DRAWS = 200_000


def random_points(n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-2.0, 2.0, (n, 2))


def epoch_means(problem, samples: np.ndarray, per_epoch: int, xy: np.ndarray):
    """Mean batch loss and batch gradient over each epoch, at every point of ``xy`` (shape (n, 2))."""
    loss, grad = problem.batch(xy[:, None, :], samples[None])  # (n, steps), (n, steps, 2)
    epochs = samples.shape[0] // per_epoch
    loss = loss.reshape(len(xy), epochs, per_epoch).mean(-1)
    grad = grad.reshape(len(xy), epochs, per_epoch, 2).mean(-2)
    return loss, grad


# -- the mini-batch trap ------------------------------------------------------------------------------


@pytest.mark.parametrize("pull", [0.9, 0.45, 3.0])
def test_trap_offsets(pull):
    a = SCENARIOS["minibatch-trap"].configure(pull=pull).problem.offsets()
    assert a.shape == (10, 2)
    np.testing.assert_allclose(a[:9], -pull / 9)
    np.testing.assert_array_equal(a[9], [pull, pull])
    np.testing.assert_allclose(a.mean(0), 0.0, atol=1e-15)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("pull", [0.9, 3.0])
def test_trap_epoch_average_is_the_full_gradient(seed, pull):
    sc = SCENARIOS["minibatch-trap"].configure(pull=pull)
    epochs = 3
    samples = sc.problem.draw(np.random.default_rng(seed), 10 * epochs - 1)
    assert samples.shape == (10 * epochs, 2)
    offsets = sc.problem.offsets()
    for e in range(epochs):  # every epoch uses each batch exactly once, in a shuffled order
        epoch = samples[10 * e : 10 * (e + 1)]
        np.testing.assert_array_equal(np.sort(epoch[:, 0]), np.sort(offsets[:, 0]))
    xy = random_points(25, seed=10 + seed)
    loss, grad = epoch_means(sc.problem, samples, 10, xy)
    np.testing.assert_allclose(grad, np.broadcast_to(sc.grad(xy)[:, None], grad.shape), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(loss, np.broadcast_to(sc.loss(xy)[:, None], loss.shape), rtol=1e-13, atol=1e-15)


def test_trap_rare_batch_appears_once_per_epoch_at_a_random_place():
    problem = SCENARIOS["minibatch-trap"].problem
    samples = problem.draw(np.random.default_rng(0), 10 * 200 - 1)
    rare = (samples[:, 0] > 0).reshape(200, 10)
    np.testing.assert_array_equal(rare.sum(1), 1)
    where = rare.argmax(1)
    assert len(set(where.tolist())) == 10  # not always the same slot: the epochs are shuffled


# -- finite sums: least squares and logistic regression -----------------------------------------------


@pytest.mark.parametrize(
    ("key", "batch_size"),
    [("least-squares", 1), ("least-squares", 10), ("least-squares", 20), ("least-squares", 120),
     ("logistic", 1), ("logistic", 10), ("logistic", 20), ("logistic", 100)],
)
def test_finite_sum_epoch_average_is_the_full_gradient(key, batch_size):
    sc = SCENARIOS[key].configure(batch_size=batch_size)
    n = len(sc.problem.targets)
    per_epoch = n // batch_size
    assert per_epoch * batch_size == n
    samples = sc.problem.draw(np.random.default_rng(3), 2 * per_epoch - 1)  # two epochs
    assert samples.shape[0] == 2 * per_epoch
    xy = random_points(8, seed=11)
    loss, grad = epoch_means(sc.problem, samples, per_epoch, xy)
    np.testing.assert_allclose(grad, np.broadcast_to(sc.grad(xy)[:, None], grad.shape), rtol=1e-11, atol=1e-13)
    np.testing.assert_allclose(loss, np.broadcast_to(sc.loss(xy)[:, None], loss.shape), rtol=1e-11, atol=1e-13)


@pytest.mark.parametrize(("key", "batch_size"), [("least-squares", 10), ("least-squares", 7), ("logistic", 7)])
def test_finite_sum_visits_every_example_once_per_epoch(key, batch_size):
    """Even when the batch size does not divide the data set, the index stream is a run of permutations."""
    problem = SCENARIOS[key].configure(batch_size=batch_size).problem
    n = len(problem.targets)
    steps = 3 * n  # 3n batches of b examples: exactly 3b epochs
    idx = problem.indices(np.random.default_rng(5), steps - 1)
    assert idx.shape == (steps, batch_size)
    epochs = idx.reshape(-1, n)
    np.testing.assert_array_equal(np.sort(epochs, axis=1), np.broadcast_to(np.arange(n), epochs.shape))
    assert len({tuple(e) for e in epochs}) == len(epochs)  # each epoch its own shuffle


def test_least_squares_batch_statistics_are_the_batch_moments():
    problem = SCENARIOS["least-squares"].configure(batch_size=10).problem
    rng = np.random.default_rng(6)
    moments = problem.draw(rng, 4)
    idx = problem.indices(np.random.default_rng(6), 4)
    x, y = problem.features[idx, 0], problem.targets[idx]
    expected = np.stack([(x * x).mean(1), x.mean(1), (x * y).mean(1), y.mean(1), (y * y).mean(1)], axis=-1)
    np.testing.assert_allclose(moments, expected, rtol=1e-14)
    # the batch loss is the batch's mean squared error
    w, b = 0.4, 0.3
    loss, _ = problem.batch(np.array([w, b]), moments[2])
    assert loss == pytest.approx(np.mean(0.5 * (w * x[2] + b - y[2]) ** 2), rel=1e-12)


def test_logistic_batch_is_the_batch_mean():
    problem = SCENARIOS["logistic"].configure(batch_size=10).problem
    idx = problem.draw(np.random.default_rng(7), 2)
    w = np.array([0.5, -0.8])
    x, s = problem.features[idx[1]], problem.targets[idx[1]]
    loss, grad = problem.batch(w, idx[1])
    assert loss == pytest.approx(np.mean(np.log1p(np.exp(-s * (x @ w)))), rel=1e-13)
    sigma = 1.0 / (1.0 + np.exp(s * (x @ w)))
    np.testing.assert_allclose(grad, -np.mean((s * sigma)[:, None] * x, axis=0), rtol=1e-12)


def test_logistic_batch_is_finite_far_from_the_data():
    """logaddexp keeps huge margins finite: no overflow warning (pytest turns it into an error)."""
    problem = SCENARIOS["logistic"].problem
    loss, grad = problem.batch(np.array([[1e6, -1e6], [-1e300, 1e300]]), problem.draw(np.random.default_rng(0), 1))
    assert np.all(np.isfinite(grad))
    assert np.all(loss >= 0)


# -- additive landscape noise -------------------------------------------------------------------------


@pytest.mark.parametrize("sigma", [0.5, 3.0])
@pytest.mark.parametrize("noise", ["gaussian", "skewed"])
def test_landscape_noise_has_mean_zero_and_std_sigma(noise, sigma):
    problem = SCENARIOS["bowl"].configure(noise=noise, sigma=sigma).problem
    xi = problem.draw(np.random.default_rng(8), N_DRAWS - 1)
    assert xi.shape == (N_DRAWS, 2)
    standard_error = sigma / np.sqrt(N_DRAWS)
    np.testing.assert_allclose(xi.mean(0), 0.0, atol=5 * standard_error)
    np.testing.assert_allclose(xi.std(0), sigma, rtol=0.02)
    # the two coordinates are drawn independently
    assert abs(np.corrcoef(xi[:, 0], xi[:, 1])[0, 1]) < 5 / np.sqrt(N_DRAWS)
    # and so are consecutive steps
    assert abs(np.corrcoef(xi[:-1, 0], xi[1:, 0])[0, 1]) < 5 / np.sqrt(N_DRAWS)


@pytest.mark.parametrize("sigma", [0.5, 3.0])
def test_skewed_noise_sign_is_biased(sigma):
    """Frequent small pushes one way, rare large ones the other: ξ = +σ/3 nine times in ten, −3σ once."""
    problem = SCENARIOS["bowl"].configure(noise="skewed", sigma=sigma).problem
    xi = problem.draw(np.random.default_rng(9), N_DRAWS - 1)
    assert set(np.unique(xi).tolist()) == {-3.0 * sigma, sigma / 3.0}
    positive = (xi > 0).mean(0)
    np.testing.assert_allclose(positive, 0.9, atol=5 * np.sqrt(0.09 / N_DRAWS))


def test_gaussian_noise_sign_is_balanced():
    problem = SCENARIOS["bowl"].configure(noise="gaussian", sigma=1.0).problem
    xi = problem.draw(np.random.default_rng(10), N_DRAWS - 1)
    np.testing.assert_allclose((xi > 0).mean(0), 0.5, atol=5 * np.sqrt(0.25 / N_DRAWS))


@pytest.mark.parametrize("noise", ["none", "gaussian", "skewed"])
def test_no_noise_at_sigma_zero(noise):
    problem = SCENARIOS["bowl"].configure(noise=noise, sigma=0.0).problem
    np.testing.assert_array_equal(problem.draw(np.random.default_rng(11), 99), 0.0)


def test_noise_none_ignores_sigma():
    problem = SCENARIOS["bowl"].configure(noise="none", sigma=5.0).problem
    xy = random_points(10, seed=12)
    loss, grad = problem.batch(xy, problem.draw(np.random.default_rng(12), 9))
    np.testing.assert_array_equal(grad, problem.grad(xy))
    np.testing.assert_array_equal(loss, problem.loss(xy))


@pytest.mark.parametrize(
    "sc",
    [SCENARIOS["bowl"].configure(noise="gaussian", sigma=1.0), SCENARIOS["bowl"].configure(noise="skewed", sigma=1.0),
     SCENARIOS["minibatch-trap"], SCENARIOS["least-squares"].configure(batch_size=7), SCENARIOS["logistic"]],
    ids=["gaussian", "skewed", "trap", "least-squares", "logistic"],
)
def test_draw_prefix_does_not_depend_on_length(sc):
    """The sample at step t is the same however many steps are drawn (a longer race extends a shorter one)."""
    short = sc.problem.draw(np.random.default_rng(13), 50)
    long = sc.problem.draw(np.random.default_rng(13), 333)
    np.testing.assert_array_equal(long[:51], short)
