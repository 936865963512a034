"""The scenarios people can pick: a landscape or data set, its noise, its story, where to look and start."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np

from scenarios import landscapes as ls
from scenarios.problems import Landscape, LeastSquares, Logistic, Problem, Trap

Box = tuple[tuple[float, float], tuple[float, float]]


@dataclass(frozen=True)
class Scenario:
    """A landscape to race on: objective and gradient stream (``problem``), and how to show it.

    ``bounds`` is the plot box ``((x_min, x_max), (y_min, y_max))``, which is also where a start point may
    lie; ``minima`` are the known minimisers (the first is a global one); ``log_color`` says the landscape
    spans orders of magnitude and is best coloured on a log scale.
    """

    key: str
    title: str
    story: str
    problem: Problem
    bounds: Box
    minima: tuple[tuple[float, float], ...]
    start: tuple[float, float]
    axis_names: tuple[str, str] = ("x", "y")
    log_color: bool = False
    #: how finely the landscape must be sampled to be drawn (Rastrigin's ripples need twice the usual)
    detail: int = 1
    #: (optimizer, hyperparameter, value) that suit this landscape better than the general defaults,
    #: e.g. a smaller SGD learning rate where the curvature is high (Rosenbrock's reaches ~2,500).
    suggested: tuple[tuple[str, str, float], ...] = ()

    def loss(self, xy: np.ndarray) -> np.ndarray:
        return self.problem.loss(np.asarray(xy, dtype=float))

    def grad(self, xy: np.ndarray) -> np.ndarray:
        return self.problem.grad(np.asarray(xy, dtype=float))

    @property
    def min_loss(self) -> float:
        """The objective at the global minimum: loss curves show ``loss − min_loss`` on a log scale."""
        return float(self.loss(np.asarray(self.minima)).min())

    @property
    def settings(self):
        return self.problem.settings

    def configure(self, **values: Any) -> Scenario:
        """A copy with the gradient stream's settings changed (``noise``, ``sigma``, ``pull``, ``batch_size``).

        Raises:
            ValueError: for an unknown setting, or a value outside its declared range.
        """
        return dataclasses.replace(self, problem=self.problem.configure(f"scenario {self.key!r}", **values))


# -- the synthetic data sets (fixed seeds, so every user sees the same data) ---------------------------

def _least_squares_data(n: int = 120) -> tuple[np.ndarray, np.ndarray]:
    # Features are not centred (x in [0, 2]), the usual reason a real regression is a ravine: the slope
    # and the intercept are correlated and the Hessian's condition number is about 14.
    rng = np.random.default_rng(20240601)
    x = rng.uniform(0.0, 2.0, n)
    y = 1.5 * x - 0.5 + 0.3 * rng.standard_normal(n)
    return np.stack([x, np.ones(n)], axis=-1), y


def _logistic_data(n: int = 100) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(20240602)
    x = rng.standard_normal((n, 2)) * np.array([1.0, 0.6])
    p = 1.0 / (1.0 + np.exp(-(x @ np.array([1.5, -2.0]))))
    labels = np.where(rng.random(n) < p, 1.0, -1.0)
    return x, labels


def _least_squares_minimum(features: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    w, b = np.linalg.solve(features.T @ features, features.T @ y)
    return float(w), float(b)


_LSQ = LeastSquares(*_least_squares_data())
_LOGISTIC = Logistic(*_logistic_data())

_LO, _HI = ls.RAVINE_CURVATURES
_RAVINE_STORY = (
    f"An ill-conditioned quadratic, curvature {_LO:g} along one axis and {_HI:g} along the other "
    f"(condition number {_HI / _LO:.0f}). SGD must keep its learning rate below 2/{_HI:g} to stay stable, "
    "so it crawls along the valley floor."
)

_SCENARIOS = [
    Scenario(
        key="bowl",
        title="Bowl (the tutorial's x² + y²)",
        story="The tutorial's worked example: `f(x, y) = x² + y²` on [−1, 1]², started from "
              "(−0.16595599, 0.44064899) as `numpy.random.seed(1)` gives it. Every method gets there; "
              "add noise to see which ones stay.",
        problem=Landscape(ls.bowl, ls.bowl_grad, noise_scale=0.2),
        bounds=((-1.0, 1.0), (-1.0, 1.0)),
        minima=((0.0, 0.0),),
        start=(-0.16595599, 0.44064899),
    ),
    Scenario(
        key="ravine",
        title="Ravine (axis-aligned)",
        story=_RAVINE_STORY + " Here the valley runs along an axis, so a per-coordinate step size "
              "(RProp, RMSProp) can undo the bad conditioning.",
        problem=Landscape(*ls.quadratic(ls.ravine_hessian(0.0)), noise_scale=0.5),
        bounds=((-3.0, 3.0), (-3.0, 3.0)),
        minima=((0.0, 0.0),),
        start=(-2.5, 1.5),
        log_color=True,
    ),
    Scenario(
        key="rotated-ravine",
        title="Ravine (rotated 45°)",
        story=_RAVINE_STORY + " Rotated by 45°, the valley no longer follows a coordinate, so a per-coordinate "
              "step size cannot undo the conditioning any more: compare RMSProp here and on the axis-aligned "
              "ravine.",
        problem=Landscape(*ls.quadratic(ls.ravine_hessian(45.0)), noise_scale=0.5),
        bounds=((-3.0, 3.0), (-3.0, 3.0)),
        minima=((0.0, 0.0),),
        start=(-2.5, 1.5),
        log_color=True,
    ),
    Scenario(
        key="rosenbrock",
        title="Rosenbrock's banana",
        story="`f = (1 − x)² + 100 (y − x²)²`: a curved, narrow valley whose floor is easy to find and hard "
              "to follow to the minimum at (1, 1). Gradients range over four orders of magnitude, which "
              "plain SGD handles badly and sign-based steps ignore.",
        problem=Landscape(ls.rosenbrock, ls.rosenbrock_grad, noise_scale=5.0),
        bounds=((-2.0, 2.0), (-1.0, 3.0)),
        minima=((1.0, 1.0),),
        start=(-1.2, 1.0),
        log_color=True,
        suggested=(("SGD", "lr", 0.001),),
    ),
    Scenario(
        key="himmelblau",
        title="Himmelblau (four minima)",
        story="`f = (x² + y − 11)² + (x + y² − 7)²` has four minima, all with `f = 0`. Which one a method "
              "finds depends on its first few steps, so noise and step-size rules decide the destination.",
        problem=Landscape(ls.himmelblau, ls.himmelblau_grad, noise_scale=5.0),
        bounds=((-5.0, 5.0), (-5.0, 5.0)),
        minima=(
            (3.0, 2.0),
            ls.newton_minimum(ls.himmelblau_grad, (-2.805, 3.131)),
            ls.newton_minimum(ls.himmelblau_grad, (-3.779, -3.283)),
            ls.newton_minimum(ls.himmelblau_grad, (3.584, -1.848)),
        ),
        start=(-0.5, 0.5),
        log_color=True,
        suggested=(("SGD", "lr", 0.01),),
    ),
    Scenario(
        key="rastrigin",
        title="Rastrigin (many local minima)",
        story="A bowl covered in a lattice of ripples, each a local minimum; the global one is at the "
              "origin. Small steps get caught in the nearest ripple; large or noisy ones may hop across.",
        problem=Landscape(ls.rastrigin, ls.rastrigin_grad, noise_scale=5.0),
        bounds=((-5.12, 5.12), (-5.12, 5.12)),
        minima=((0.0, 0.0),),
        start=(2.2, -1.8),
        detail=2,
        suggested=(("SGD", "lr", 0.002),),
    ),
    Scenario(
        key="saddle",
        title="Saddle (escape the ridge)",
        story="`f = x² + y⁴/4 − y²/2`: a saddle at the origin between two valleys at (0, ±1). Started just "
              "off the ridge, the gradient across it is tiny: SGD, which scales its step by the gradient, "
              "crawls; RProp and RMSProp, which normalise it, walk off at once.",
        problem=Landscape(ls.saddle, ls.saddle_grad, noise_scale=0.1),
        bounds=((-1.5, 1.5), (-1.5, 1.5)),
        minima=((0.0, 1.0), (0.0, -1.0)),
        start=(-1.2, 0.001),
    ),
    Scenario(
        key="minibatch-trap",
        title="The mini-batch trap",
        story="The tutorial's argument in 2-D. Ten mini-batch losses `ℓᵢ(w) = ½‖w‖² − aᵢ·w`: nine pull "
              "gently towards (−0.1, −0.1), one pulls hard towards (0.9, 0.9). The gradients average to "
              "zero at the origin, the true minimum. RProp only sees signs, nine to one, and settles at "
              "(−0.1, −0.1); SGD and RMSProp average and hold near the origin.",
        problem=Trap(),
        bounds=((-1.2, 1.2), (-1.2, 1.2)),
        minima=((0.0, 0.0),),
        start=(1.0, 0.6),
    ),
    Scenario(
        key="least-squares",
        title="Least squares (w, b) on 120 points",
        story="Fit a line `y ≈ w x + b` to 120 noisy points by mean squared error, with real mini-batches. "
              "The inputs are not centred, so slope and intercept are correlated: a tilted ravine, as in "
              "most real regressions. Smaller batches mean noisier gradients.",
        problem=_LSQ,
        bounds=((-1.0, 4.0), (-3.0, 2.0)),
        minima=(_least_squares_minimum(_LSQ.features, _LSQ.targets),),
        start=(-0.5, 1.5),
        axis_names=("w", "b"),
        log_color=True,
    ),
    Scenario(
        key="logistic",
        title="Logistic regression, two weights",
        story="Classify 100 points with a linear model and the logistic loss, with real mini-batches. The "
              "labels are noisy, so the data are not separable and the minimum is finite.",
        problem=_LOGISTIC,
        bounds=((-2.0, 5.0), (-5.0, 2.0)),
        minima=(ls.newton_minimum(_LOGISTIC.grad, (1.5, -2.0)),),
        start=(-1.5, 1.0),
        axis_names=("w₁", "w₂"),
    ),
]

#: Scenario key -> scenario, in display order.
SCENARIOS: dict[str, Scenario] = {s.key: s for s in _SCENARIOS}


def get(key: str) -> Scenario:
    """The scenario with this key. Raises ValueError naming the allowed keys."""
    try:
        return SCENARIOS[key]
    except (KeyError, TypeError):
        raise ValueError(f"Unknown scenario {key!r}; choose one of: {', '.join(SCENARIOS)}.") from None
