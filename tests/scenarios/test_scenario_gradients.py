"""Every gradient in scenarios/ against central finite differences of its own loss.

The oracle is the loss itself: for each scenario, the exact gradient ``grad`` must match the central
difference of ``loss``, and each gradient stream's batch gradient must match the central difference of
its batch loss, at random points inside the scenario's bounds and for random samples drawn by the stream.

Tolerance: with a step ``h = 1e-6·max(1, |x|)`` a central difference of a smooth function is off by the
truncation error ``h²·f'''/6`` (about 1e-12·f''') plus the rounding error ``ε·|f|/h``. So a gradient
passes when ``|g − fd| ≤ 1e-6·|g| + 4ε·max(|f|, 1)/h`` per coordinate; the correct gradients sit at most
an eighth of that tolerance away, while any slip in a coefficient is off by orders of magnitude more.
"""

from __future__ import annotations

import numpy as np
import pytest

from scenarios import SCENARIOS, Landscape

EPS = np.finfo(float).eps
REL_STEP = 1e-6
N_POINTS = 300


def central_difference(f, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The central-difference gradient of ``f`` at each row of ``xy`` (shape (n, 2)), and the steps used."""
    h = REL_STEP * np.maximum(1.0, np.abs(xy))
    columns = []
    for i in range(2):
        e = np.zeros(2)
        e[i] = 1.0
        step = h[:, i : i + 1] * e
        columns.append((f(xy + step) - f(xy - step)) / (2.0 * h[:, i]))
    return np.stack(columns, axis=-1), h


def assert_matches_fd(grad: np.ndarray, f, xy: np.ndarray) -> None:
    fd, h = central_difference(f, xy)
    scale = np.maximum(np.abs(f(xy)), 1.0)[:, None]
    tolerance = 1e-6 * np.abs(grad) + 4.0 * EPS * scale / h
    excess = np.abs(grad - fd) / tolerance
    worst = np.unravel_index(np.argmax(excess), excess.shape)
    assert excess.max() <= 1.0, (
        f"gradient {grad[worst[0]]} vs finite difference {fd[worst[0]]} at {xy[worst[0]]} "
        f"(error {excess.max():.3g} × tolerance)"
    )


def points_in_bounds(bounds, n: int, seed: int) -> np.ndarray:
    (x_lo, x_hi), (y_lo, y_hi) = bounds
    rng = np.random.default_rng(seed)
    return np.stack([rng.uniform(x_lo, x_hi, n), rng.uniform(y_lo, y_hi, n)], axis=-1)


def stream_cases():
    """(id, scenario) for every gradient stream worth checking: each landscape under each noise kind at
    its slider's top σ, the trap at two pulls, the finite sums at several batch sizes (dividing or not)."""
    cases = []
    for key, sc in SCENARIOS.items():
        problem = sc.problem
        if isinstance(problem, Landscape):
            cases.append((f"{key}-none", sc))
            for noise in ("gaussian", "skewed"):
                cases.append((f"{key}-{noise}", sc.configure(noise=noise, sigma=10 * problem.noise_scale)))
        elif key == "minibatch-trap":
            cases += [(f"{key}-pull{p}", sc.configure(pull=p)) for p in (0.9, 3.0)]
        else:
            n = len(problem.targets)
            cases += [(f"{key}-b{b}", sc.configure(batch_size=b)) for b in (1, 7, 10, n)]
    return cases


STREAMS = stream_cases()


@pytest.mark.parametrize("key", list(SCENARIOS))
def test_grad_matches_finite_differences(key):
    sc = SCENARIOS[key]
    xy = points_in_bounds(sc.bounds, N_POINTS, seed=1)
    grad = sc.grad(xy)
    assert grad.shape == xy.shape
    assert_matches_fd(grad, sc.loss, xy)


@pytest.mark.parametrize("key", list(SCENARIOS))
def test_loss_and_grad_are_vectorised_over_leading_axes(key):
    sc = SCENARIOS[key]
    xy = points_in_bounds(sc.bounds, 12, seed=2)
    grid = xy.reshape(3, 4, 2)
    assert sc.loss(grid).shape == (3, 4)
    assert sc.grad(grid).shape == (3, 4, 2)
    np.testing.assert_allclose(sc.loss(grid).ravel(), [sc.loss(p) for p in xy], rtol=1e-14, atol=0)
    np.testing.assert_allclose(sc.grad(grid).reshape(-1, 2), [sc.grad(p) for p in xy], rtol=1e-14, atol=1e-300)


@pytest.mark.parametrize("key", list(SCENARIOS))
def test_each_listed_minimum_has_zero_gradient(key):
    sc = SCENARIOS[key]
    (x_lo, x_hi), (y_lo, y_hi) = sc.bounds
    radius = 1e-3 * min(x_hi - x_lo, y_hi - y_lo)
    directions = np.array([[np.cos(a), np.sin(a)] for a in np.linspace(0, 2 * np.pi, 8, endpoint=False)])
    for m in np.asarray(sc.minima):
        assert x_lo <= m[0] <= x_hi, f"minimum {m} outside the bounds"
        assert y_lo <= m[1] <= y_hi, f"minimum {m} outside the bounds"
        nearby = m + radius * directions
        nearby_grad = np.linalg.norm(sc.grad(nearby), axis=-1).max()
        assert nearby_grad > 0
        assert np.linalg.norm(sc.grad(m)) <= 1e-8 * nearby_grad, f"gradient {sc.grad(m)} at minimum {m}"
        # a minimum, not a saddle or a maximum: the loss rises in every direction
        assert np.all(sc.loss(nearby) > sc.loss(m)), f"{m} is not a local minimum"


@pytest.mark.parametrize("key", list(SCENARIOS))
def test_first_minimum_is_global_within_bounds(key):
    sc = SCENARIOS[key]
    (x_lo, x_hi), (y_lo, y_hi) = sc.bounds
    x, y = np.meshgrid(np.linspace(x_lo, x_hi, 201), np.linspace(y_lo, y_hi, 201))
    grid_min = sc.loss(np.stack([x, y], axis=-1)).min()
    first = float(sc.loss(np.asarray(sc.minima[0])))
    assert sc.min_loss == pytest.approx(first, abs=1e-12)
    assert grid_min >= first - 1e-12


@pytest.mark.parametrize(
    ("key", "min_loss"),
    [("bowl", 0.0), ("ravine", 0.0), ("rotated-ravine", 0.0), ("rosenbrock", 0.0), ("himmelblau", 0.0),
     ("rastrigin", 0.0), ("saddle", -0.25), ("minibatch-trap", 0.0)],
)
def test_min_loss_of_analytic_landscapes(key, min_loss):
    sc = SCENARIOS[key]
    assert sc.min_loss == pytest.approx(min_loss, abs=1e-20)
    # all minima listed for Himmelblau and the saddle are global: equal loss
    np.testing.assert_allclose(sc.loss(np.asarray(sc.minima)), min_loss, atol=1e-20)


def test_least_squares_minimum_is_the_normal_equations_solution():
    sc = SCENARIOS["least-squares"]
    x, y = sc.problem.features[:, 0], sc.problem.targets
    design = np.stack([x, np.ones_like(x)], axis=-1)
    expected, *_ = np.linalg.lstsq(design, y, rcond=None)
    np.testing.assert_allclose(sc.minima[0], expected, rtol=1e-12)
    # and the loss is the documented mean ½ (w x + b − y)²
    w, b = 1.3, -0.2
    assert sc.loss(np.array([w, b])) == pytest.approx(np.mean(0.5 * (w * x + b - y) ** 2), rel=1e-13)


def test_logistic_loss_is_the_documented_mean():
    sc = SCENARIOS["logistic"]
    x, s = sc.problem.features, sc.problem.targets
    assert set(np.unique(s)) == {-1.0, 1.0}
    w = np.array([0.7, -1.1])
    assert sc.loss(w) == pytest.approx(np.mean(np.log1p(np.exp(-s * (x @ w)))), rel=1e-13)


@pytest.mark.parametrize(("key", "angle"), [("ravine", 0.0), ("rotated-ravine", 45.0)])
def test_ravine_curvatures_and_orientation(key, angle):
    sc = SCENARIOS[key]
    hessian = np.stack([sc.grad(np.array(e)) for e in np.eye(2)])  # a quadratic: the gradient is linear
    values, vectors = np.linalg.eigh(hessian)
    np.testing.assert_allclose(values, [0.2, 10.0], rtol=1e-12)
    flat = vectors[:, 0]  # the valley floor's direction
    expected = np.array([np.cos(np.deg2rad(angle)), np.sin(np.deg2rad(angle))])
    assert abs(flat @ expected) == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize(("case", "sc"), STREAMS, ids=[c for c, _ in STREAMS])
def test_batch_gradient_matches_finite_differences_of_batch_loss(case, sc):
    n = 60
    xy = points_in_bounds(sc.bounds, n, seed=3)
    samples = sc.problem.draw(np.random.default_rng(4), n - 1)  # one sample per point, in stream order
    assert samples.shape[0] == n

    def batch_loss(p):
        return sc.problem.batch(p, samples)[0]

    loss, grad = sc.problem.batch(xy, samples)
    assert loss.shape == (n,)
    assert grad.shape == (n, 2)
    assert_matches_fd(grad, batch_loss, xy)


@pytest.mark.parametrize(("case", "sc"), STREAMS, ids=[c for c, _ in STREAMS])
def test_batch_broadcasts_like_the_engine(case, sc):
    """The engine calls ``batch`` with params (n_opt, n_seed, 2) and samples (1, n_seed, *sample_shape)."""
    n_opt, n_seed = 3, 4
    xy = points_in_bounds(sc.bounds, n_opt * n_seed, seed=5).reshape(n_opt, n_seed, 2)
    samples = np.stack([sc.problem.draw(np.random.default_rng(s), 0)[0] for s in range(n_seed)])[None]
    loss, grad = sc.problem.batch(xy, samples)
    assert loss.shape == (n_opt, n_seed)
    assert grad.shape == (n_opt, n_seed, 2)
    for i in range(n_opt):
        for j in range(n_seed):
            one_loss, one_grad = sc.problem.batch(xy[i, j], samples[0, j])
            np.testing.assert_allclose(loss[i, j], one_loss, rtol=1e-13, atol=1e-300)
            np.testing.assert_allclose(grad[i, j], one_grad, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("key", [k for k, sc in SCENARIOS.items() if isinstance(sc.problem, Landscape)])
def test_noiseless_batch_is_the_full_objective(key):
    sc = SCENARIOS[key]
    xy = points_in_bounds(sc.bounds, 20, seed=6)
    samples = sc.problem.draw(np.random.default_rng(7), 19)
    np.testing.assert_array_equal(samples, 0.0)
    loss, grad = sc.problem.batch(xy, samples)
    np.testing.assert_array_equal(loss, sc.loss(xy))
    np.testing.assert_array_equal(grad, sc.grad(xy))


@pytest.mark.parametrize("noise", ["gaussian", "skewed"])
def test_landscape_noise_is_additive_on_the_gradient(noise):
    """Batch loss ``f(θ) + ξ·θ`` and batch gradient ``∇f(θ) + ξ``: the documented form, exactly."""
    sc = SCENARIOS["rosenbrock"].configure(noise=noise, sigma=7.0)
    xy = points_in_bounds(sc.bounds, 20, seed=8)
    xi = sc.problem.draw(np.random.default_rng(9), 19)
    assert np.all(xi != 0)
    loss, grad = sc.problem.batch(xy, xi)
    np.testing.assert_allclose(grad, sc.grad(xy) + xi, rtol=1e-15)
    np.testing.assert_allclose(loss, sc.loss(xy) + (xi * xy).sum(-1), rtol=1e-13)
