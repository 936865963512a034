"""What the optimizers minimise, and the stochastic gradients they see while doing it.

A :class:`Problem` has a full objective (``loss``) with its exact gradient (``grad``), and a gradient
*stream*: :meth:`Problem.draw` turns one seed's random generator into the per-step samples (a noise vector,
a mini-batch's offset or statistics, a mini-batch's indices), and :meth:`Problem.batch` turns an iterate
and a sample into what an optimizer observes at that step, the batch loss and the batch gradient. Drawing
the samples from the seed alone, before any optimizer runs, is what gives common random numbers: every
optimizer on a given seed sees the same noise at step ``t``.

Three kinds:

* :class:`Landscape`: an analytic objective plus additive gradient noise ξ (none, Gaussian, or skewed
  zero-mean). The batch loss is ``f(θ) + ξ·θ``, whose gradient is exactly ``∇f(θ) + ξ``.
* :class:`Trap`: the tutorial's mini-batch example in 2-D. Ten batch losses ``ℓᵢ(w) = ½‖w‖² − aᵢ·w`` with
  ``aᵢ = (−p/9, −p/9)`` on nine batches and ``(p, p)`` on one (``p`` is the rare batch's ``pull``), drawn
  in shuffled epochs. Their mean is ``½‖w‖²``, minimised at the origin.
* :class:`FiniteSum`: a mean over a synthetic data set (least squares or logistic regression), with real
  mini-batches of ``batch_size`` examples drawn without replacement in shuffled epochs.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from optimizers import Hyperparameter

Array = np.ndarray


class Problem:
    """Interface shared by the three kinds of problem; see the module docstring."""

    #: declarations of the problem's adjustable settings (noise, batch size, ...), in display order
    settings: ClassVar[tuple[Hyperparameter, ...]] = ()
    #: values drawn per step and seed (for the engine's memory check)
    sample_size: ClassVar[int] = 2

    def loss(self, xy: Array) -> Array:
        raise NotImplementedError

    def grad(self, xy: Array) -> Array:
        raise NotImplementedError

    def draw(self, rng: np.random.Generator, steps: int) -> Array:
        """One seed's samples for steps ``0 … steps``: an array of shape ``(steps + 1, *sample_shape)``."""
        raise NotImplementedError

    def batch(self, xy: Array, sample: Array) -> tuple[Array, Array]:
        """Batch loss ``(...)`` and batch gradient ``(..., 2)`` at ``xy``; ``sample`` broadcasts against it."""
        raise NotImplementedError

    def values(self) -> dict[str, Any]:
        """The current value of every setting, by name."""
        return {s.name: getattr(self, s.name) for s in self.settings}

    def configure(self, owner: str, **values: Any) -> Problem:
        """A copy with some settings changed, each validated against its declaration."""
        declared = {s.name: s for s in self.settings}
        for name in values:
            if name not in declared:
                allowed = ", ".join(declared) or "none"
                raise ValueError(f"{owner} has no setting {name!r}; its settings are: {allowed}.")
        checked = {}
        for name, value in values.items():
            decl = declared[name]
            what = None if decl.integer or not decl.is_numeric else "a number"
            if np.ndim(value) != 0:
                raise decl.error(owner, value, what=what)
            checked[name] = decl.validate(value, owner, what)
        return dataclasses.replace(self, **checked)


def shuffled_epochs(rng: np.random.Generator, n: int, count: int) -> Array:
    """``count`` indices into ``range(n)``: a fresh random permutation of all ``n`` for every epoch."""
    epochs = -(-count // n)
    return np.concatenate([rng.permutation(n) for _ in range(epochs)])[:count]


NOISE_KINDS = ("none", "gaussian", "skewed")
RARE = 0.1  # how often the skewed noise makes its large push


@dataclass(frozen=True)
class Landscape(Problem):
    """An analytic objective ``f`` with exact gradient, plus additive zero-mean gradient noise ξ.

    ``noise="gaussian"``: ξ ~ N(0, σ²) per coordinate. ``noise="skewed"``: per coordinate ξ = +σ/3 nine
    times in ten and −3σ once in ten — mean 0, standard deviation σ, but the *sign* of the gradient is
    biased, which is exactly what fools sign-based methods such as RProp.
    """

    fn: Callable[[Array], Array]
    gradient: Callable[[Array], Array]
    noise: str = "none"
    sigma: float = 0.0
    noise_scale: float = 0.5  # a σ that is clearly felt on this landscape without drowning its gradient

    @property
    def settings(self) -> tuple[Hyperparameter, ...]:  # type: ignore[override]
        return (
            Hyperparameter("noise", "none", "Additive gradient noise: none, Gaussian, or skewed "
                           "(small pushes one way, rare large ones the other, mean zero).", choices=NOISE_KINDS),
            Hyperparameter("sigma", 0.0, "Standard deviation σ of the gradient noise, per coordinate "
                           f"(about {self.noise_scale:g} is clearly felt here).",
                           low=0.0, high=1e4, log=True, ui_low=0.01, ui_high=100.0),
        )

    def configure(self, owner: str, **values: Any) -> Problem:
        """As :meth:`Problem.configure`; switching the noise on without a σ uses the landscape's
        ``noise_scale`` rather than a silent σ = 0."""
        if values.get("noise", "none") != "none" and "sigma" not in values and self.sigma == 0:
            values = {**values, "sigma": self.noise_scale}
        return super().configure(owner, **values)

    def loss(self, xy: Array) -> Array:
        return self.fn(xy)

    def grad(self, xy: Array) -> Array:
        return self.gradient(xy)

    def draw(self, rng: np.random.Generator, steps: int) -> Array:
        shape = (steps + 1, 2)
        if self.noise == "gaussian":
            return self.sigma * rng.standard_normal(shape)
        if self.noise == "skewed":
            return np.where(rng.random(shape) < RARE, -3.0 * self.sigma, self.sigma / 3.0)
        return np.zeros(shape)

    def batch(self, xy: Array, sample: Array) -> tuple[Array, Array]:
        if self.noise == "none" or self.sigma == 0:
            return self.fn(xy), self.gradient(xy)
        return self.fn(xy) + dot(sample, xy), self.gradient(xy) + sample


def dot(a: Array, b: Array) -> Array:
    """``(a * b).sum(-1)`` for 2-vectors, written out: a reduction over an axis of length 2 is slow."""
    return a[..., 0] * b[..., 0] + a[..., 1] * b[..., 1]


def half_square(xy: Array) -> Array:
    return 0.5 * dot(xy, xy)


@dataclass(frozen=True)
class Trap(Problem):
    """The mini-batch trap: ``ℓᵢ(w) = ½‖w‖² − aᵢ·w``, nine batches pulling to (−p/9, −p/9), one to (p, p).

    The batch gradients average to ``w`` (the full objective is ``½‖w‖²``, minimised at 0), but nine
    batches in ten push the same way. A method that follows the *sign* settles where nine batches in ten
    flip it: at the median of the batch minimisers, (−p/9, −p/9), not at their mean.
    """

    pull: float = 0.9
    n_batches: ClassVar[int] = 10

    settings: ClassVar[tuple[Hyperparameter, ...]] = (
        Hyperparameter("pull", 0.9, "How hard the one rare batch pulls (the other nine pull back by pull/9).",
                       low=0.0, high=100.0, low_open=True, ui_low=0.1, ui_high=3.0),
    )

    def offsets(self) -> Array:
        """aᵢ, the minimiser of each batch loss: shape (10, 2); the last one is the rare batch."""
        a = np.full((self.n_batches, 2), -self.pull / (self.n_batches - 1))
        a[-1] = self.pull
        return a

    def loss(self, xy: Array) -> Array:
        return half_square(xy)

    def grad(self, xy: Array) -> Array:
        return np.array(xy, dtype=float)

    def draw(self, rng: np.random.Generator, steps: int) -> Array:
        return self.offsets()[shuffled_epochs(rng, self.n_batches, steps + 1)]

    def batch(self, xy: Array, sample: Array) -> tuple[Array, Array]:
        return half_square(xy) - dot(sample, xy), xy - sample


@dataclass(frozen=True, eq=False)
class FiniteSum(Problem):
    """A mean over a fixed data set, sampled in mini-batches of ``batch_size`` examples.

    The index stream is a concatenation of random permutations of the examples; step ``t`` takes the
    ``t``-th run of ``batch_size`` indices from it. Every example is visited once per epoch, so when
    ``batch_size`` divides the data set, the batch gradients of one epoch average to the full gradient.
    """

    features: Array  # (N, 2)
    targets: Array  # (N,)
    batch_size: int = 10

    @property
    def settings(self) -> tuple[Hyperparameter, ...]:  # type: ignore[override]
        n = len(self.targets)
        return (Hyperparameter("batch_size", 10, f"Examples per mini-batch (the data set has {n}).",
                               low=1, high=n, integer=True),)

    @property
    def sample_size(self) -> int:  # type: ignore[override]
        return self.batch_size

    def indices(self, rng: np.random.Generator, steps: int) -> Array:
        """Batch indices, shape (steps + 1, batch_size), in the smallest integer type that holds them."""
        n, b = len(self.targets), self.batch_size
        return shuffled_epochs(rng, n, (steps + 1) * b).reshape(steps + 1, b).astype(np.min_scalar_type(n - 1))


@dataclass(frozen=True, eq=False)
class LeastSquares(FiniteSum):
    """``L(w, b) = mean ½ (w xᵢ + b − yᵢ)²`` over the examples.

    A quadratic in (w, b) depends on the data only through five moments, so a batch is summarised by
    them: ``(mean x², mean x, mean xy, mean y, mean y²)``. This keeps a step O(1) per run however large
    the batch, which matters when a sweep steps thousands of runs at once.
    """

    @staticmethod
    def moments(x: Array, y: Array) -> Array:
        return np.stack([(x * x).mean(-1), x.mean(-1), (x * y).mean(-1), y.mean(-1), (y * y).mean(-1)], axis=-1)

    def full_moments(self) -> Array:
        return self.moments(self.features[:, 0], self.targets)

    def draw(self, rng: np.random.Generator, steps: int) -> Array:
        idx = self.indices(rng, steps)
        return self.moments(self.features[idx, 0], self.targets[idx])

    @staticmethod
    def _loss(xy: Array, m: Array) -> Array:
        w, b = xy[..., 0], xy[..., 1]
        sxx, sx, sxy, sy, syy = (m[..., k] for k in range(5))
        return 0.5 * (w * w * sxx + 2 * w * b * sx + b * b - 2 * w * sxy - 2 * b * sy + syy)

    @staticmethod
    def _grad(xy: Array, m: Array) -> Array:
        w, b = xy[..., 0], xy[..., 1]
        sxx, sx, sxy, sy = (m[..., k] for k in range(4))
        return np.stack([w * sxx + b * sx - sxy, w * sx + b - sy], axis=-1)

    def loss(self, xy: Array) -> Array:
        return self._loss(xy, self.full_moments())

    def grad(self, xy: Array) -> Array:
        return self._grad(xy, self.full_moments())

    def batch(self, xy: Array, sample: Array) -> tuple[Array, Array]:
        return self._loss(xy, sample), self._grad(xy, sample)


@dataclass(frozen=True, eq=False)
class Logistic(FiniteSum):
    """``L(w) = mean log(1 + exp(−sᵢ w·xᵢ))`` with labels ``sᵢ = ±1`` (logistic regression, no bias)."""

    def draw(self, rng: np.random.Generator, steps: int) -> Array:
        return self.indices(rng, steps)

    @staticmethod
    def _margin(xy: Array, x: Array, s: Array) -> Array:
        """``sᵢ w·xᵢ`` for every run and example, shape (..., batch): one matrix product per run."""
        return s * (x @ xy[..., None])[..., 0]

    def _loss_grad(self, xy: Array, x: Array, s: Array) -> tuple[Array, Array]:
        margin = self._margin(xy, x, s)
        softplus = np.logaddexp(0.0, -margin)  # log(1 + exp(−m)), the loss of each example
        # σ(−m) = exp(−log(1 + exp(m))) = exp(−(m + softplus)): no second logaddexp, and no overflow.
        weight = np.exp(-(margin + softplus))
        grad = -(np.swapaxes(x, -1, -2) @ (s * weight)[..., None])[..., 0] / x.shape[-2]
        return softplus.mean(-1), grad

    def loss(self, xy: Array) -> Array:
        # The full loss alone, without the gradient: the engine records it at every step.
        return np.logaddexp(0.0, -self._margin(xy, self.features, self.targets)).mean(-1)

    def grad(self, xy: Array) -> Array:
        return self._loss_grad(xy, self.features, self.targets)[1]

    def batch(self, xy: Array, sample: Array) -> tuple[Array, Array]:
        return self._loss_grad(xy, self.features[sample], self.targets[sample])
