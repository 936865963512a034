r"""RMSProp: RProp's per-weight adaptivity, made safe for mini-batches by averaging squared gradients.

Matches ``torch.optim.RMSprop`` step for step in float64 (``beta`` here is PyTorch's ``alpha``). The one
source of last-bit differences is PyTorch's: its CPU ``sqrt`` (Intel MKL) is faithfully rather than
correctly rounded for about one value in a hundred, while numpy's is correctly rounded, so the
denominators may differ by one unit in the last place.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from optimizers.base import Optimizer, where
from optimizers.hyperparameters import Hyperparameter
from optimizers.numerics import fma


class RMSPropState(NamedTuple):
    square_avg: np.ndarray  # v, the moving average of g²
    grad_avg: np.ndarray  # m, the moving average of g (used when centered)
    momentum_buffer: np.ndarray  # b (used when momentum > 0)


def lerp(start: np.ndarray, end: np.ndarray, weight: float | np.ndarray) -> np.ndarray:
    """``start + weight * (end - start)``, evaluated the way ``torch.lerp`` does.

    For ``|weight| >= 0.5`` torch computes ``end - (end - start) * (1 - weight)``, which is more exact
    near ``weight = 1``; both forms use a fused multiply-add.
    """
    small = np.abs(weight) < 0.5
    diff = end - start
    return where(small, fma(weight, diff, start), fma(weight - 1, diff, end))


class RMSProp(Optimizer):
    r"""RMSProp (Hinton, lecture 6e), with PyTorch's momentum, centered and weight-decay options.

    With gradient :math:`g_t`, learning rate :math:`\gamma` (``lr``), smoothing constant :math:`\beta`
    (``beta``; PyTorch's ``alpha``, Keras's ``rho``), :math:`\epsilon` (``eps``), momentum :math:`\mu`
    (``momentum``) and weight decay :math:`\lambda` (``weight_decay``), starting from
    :math:`v_0 = m_0 = b_0 = 0`::

        g_t ← g_t + λ θ_{t-1}                         if λ ≠ 0
        v_t ← β v_{t-1} + (1 − β) g_t²
        m_t ← β m_{t-1} + (1 − β) g_t                 if centered
        d_t ← sqrt(v_t − m_t²) + ε   if centered,  else  sqrt(v_t) + ε
        b_t ← μ b_{t-1} + g_t / d_t;   θ_t ← θ_{t-1} − γ b_t          if μ > 0
        θ_t ← θ_{t-1} − γ g_t / d_t                                    otherwise

    ``v`` is an exponential moving average that remembers roughly the last ``1 / (1 − β)`` squared
    gradients (β = 0.9: about 10). Dividing by its root gives each weight its own step: a weight whose
    recent gradients were large takes small steps, which damps oscillation. Unlike RProp, which uses only
    the *sign* of the latest gradient, the average lets gradients of opposite sign on different
    mini-batches cancel, so RMSProp follows the mean gradient rather than the majority sign. With β = 0
    it is sign descent, ``γ g / (|g| + ε)``; as β → 1 it approaches SGD with a fixed per-weight scale.
    Without momentum, and not centered, a step never exceeds ``γ / sqrt(1 − β)`` per coordinate, since
    ``v_t ≥ (1 − β) g_t²``. Centered steps have no such bound: a constant gradient drives ``v − m²``
    towards 0, and with β = 0 the very first step is ``γ g / ε``.

    Args:
        lr: learning rate γ ≥ 0 (default 0.01).
        beta: smoothing constant β in [0, 1) (default 0.9, Hinton's and Keras's; PyTorch uses 0.99).
        eps: ε > 0 added to the denominator (default 1e-8).
        momentum: μ in [0, 1) (default 0).
        centered: divide by an estimate of the gradient's standard deviation instead of its RMS
            (Graves 2013).
        weight_decay: λ ≥ 0, an L2 penalty added to the gradient (default 0).

    Warning — where libraries differ:
        * PyTorch (and this class) add ε *outside* the square root, ``sqrt(v) + ε``. Keras 3 and optax
          (``eps_in_sqrt=True``, its default) use ``sqrt(v + ε)``; Keras's default ε is 1e-7. The two
          agree only while ``v ≫ ε²`` (outside) and ``v ≫ ε`` (inside): with tiny gradients they do not.
        * TensorFlow 1's ``tf.train.RMSPropOptimizer`` initialises ``v`` to *ones*, not zeros, so its
          first steps are much smaller; optax exposes this as ``initial_scale``.
        * PyTorch's momentum buffer accumulates ``g / d`` and is scaled by γ afterwards; Keras
          accumulates ``γ g / d``. They agree for a constant γ.

    Example (the tutorial's bowl, first step):
        >>> import numpy as np
        >>> opt = RMSProp(lr=0.01, beta=0.99)
        >>> p = np.array([-0.16595599, 0.44064899]); s = opt.init(p)
        >>> p, s = opt.step(p, 2 * p, s)
        >>> np.round(p, 8).tolist()
        [-0.06595602, 0.340649]

    References:
        Hinton, Srivastava & Swersky, "Neural Networks for Machine Learning", lecture 6e
        (http://www.cs.toronto.edu/~tijmen/csc321/slides/lecture_slides_lec6.pdf), 2012.
        Graves, "Generating Sequences With Recurrent Neural Networks", arXiv:1308.0850, 2013
        (the centered form).
    """

    display_name = "RMSProp"
    hyperparameters = (
        Hyperparameter("lr", 0.01, "Learning rate γ: the largest typical step.",
                       low=0.0, log=True, ui_low=1e-4, ui_high=1.0),
        Hyperparameter("beta", 0.9, "Smoothing β: v averages about the last 1/(1−β) squared gradients.",
                       low=0.0, high=1.0, high_open=True, ui_high=0.999),
        Hyperparameter("eps", 1e-8, "ε added to sqrt(v) so that a zero gradient history cannot divide by 0.",
                       low=0.0, low_open=True, log=True, ui_low=1e-12, ui_high=1.0),
        Hyperparameter("momentum", 0.0, "Momentum μ applied to the normalised step (0 = none).",
                       low=0.0, high=1.0, high_open=True, ui_high=0.999),
        Hyperparameter("centered", False, "Divide by the gradient's standard deviation instead of its RMS.",
                       choices=(False, True)),
        Hyperparameter("weight_decay", 0.0, "L2 penalty λ added to the gradient as λθ.",
                       low=0.0, ui_high=1.0),
    )

    def __init__(self, lr: float = 0.01, beta: float = 0.9, eps: float = 1e-8, momentum: float = 0.0,
                 centered: bool = False, weight_decay: float = 0.0) -> None:
        self._set(lr=lr, beta=beta, eps=eps, momentum=momentum, centered=centered, weight_decay=weight_decay)

    def init(self, params: Any) -> RMSPropState:
        p = self._params(params)
        return RMSPropState(square_avg=np.zeros_like(p), grad_avg=np.zeros_like(p), momentum_buffer=np.zeros_like(p))

    def step(self, params: Any, grads: Any, state: RMSPropState, loss: Any = None) -> tuple[np.ndarray, RMSPropState]:
        p, g = self._params_and_grads(params, grads, state)
        with np.errstate(all="ignore"):  # sqrt of a rounded-negative centered variance is NaN, as in torch
            return self._update(p, g, state)

    def _update(self, p: np.ndarray, g: np.ndarray, state: RMSPropState) -> tuple[np.ndarray, RMSPropState]:
        lr, beta, mu, lam = self.lr, self.beta, self.momentum, self.weight_decay
        # Operation order and fused multiply-adds follow torch's kernels, so results agree to the bit:
        # add(alpha) and addcmul are fused, addcdiv is not.
        if np.any(lam != 0):
            g = fma(p, lam, g)
        v = fma((1 - beta) * g, g, state.square_avg * beta)
        m = state.grad_avg
        if self.centered:
            m = lerp(m, g, 1 - beta)
            d = np.sqrt(fma(-m, m, v)) + self.eps
        else:
            d = np.sqrt(v) + self.eps
        buf = state.momentum_buffer
        if not np.any(mu > 0):
            return p + (-lr * g) / d, RMSPropState(square_avg=v, grad_avg=m, momentum_buffer=buf)
        buf = buf * mu + g / d
        new_p = fma(buf, -lr, p)
        if not np.all(mu > 0):  # per-run momentum that is 0 for some runs: plain RMSProp there
            new_p = np.where(mu > 0, new_p, p + (-lr * g) / d)
        return new_p, RMSPropState(square_avg=v, grad_avg=m, momentum_buffer=buf)
