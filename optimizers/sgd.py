r"""Stochastic gradient descent with optional (Nesterov) momentum and weight decay.

Matches ``torch.optim.SGD`` step for step in float64.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from optimizers.base import Optimizer, where
from optimizers.hyperparameters import Hyperparameter
from optimizers.numerics import fma


class SGDState(NamedTuple):
    momentum_buffer: np.ndarray  # b, the velocity; meaningful once count > 0 and momentum != 0
    count: int  # steps taken so far


class SGD(Optimizer):
    r"""Stochastic gradient descent, as ``torch.optim.SGD``.

    With gradient :math:`g_t` at :math:`\theta_{t-1}`, learning rate :math:`\gamma` (``lr``), momentum
    :math:`\mu` (``momentum``), dampening :math:`\tau` (``dampening``) and weight decay :math:`\lambda`
    (``weight_decay``)::

        g_t   ← g_t + λ θ_{t-1}                       if λ ≠ 0
        b_t   ← g_t                                   on the first step      } if μ ≠ 0
        b_t   ← μ b_{t-1} + (1 − τ) g_t               afterwards             }
        g_t   ← g_t + μ b_t  (nesterov)  or  b_t      if μ ≠ 0
        θ_t   ← θ_{t-1} − γ g_t

    Args:
        lr: learning rate γ (required; the declaration's default, 0.01, is what the dashboard starts from).
        momentum: μ in [0, 1); 0 disables the velocity buffer.
        dampening: τ in [0, 1]; scales the gradient's share of the velocity after the first step.
        nesterov: use Nesterov's look-ahead form; requires ``momentum > 0`` and ``dampening == 0``.
        weight_decay: λ ≥ 0, an L2 penalty added to the gradient.

    Where libraries differ: the first velocity is the gradient itself, not ``(1 − τ) g`` (PyTorch), so
    dampening only acts from the second step on. Keras keeps ``v ← μ v − γ g`` from ``v = 0`` and optax's
    ``trace`` keeps ``b ← μ b + g`` from ``b = 0``: the same sequence for a constant γ, but neither has
    dampening at all.

    Example:
        >>> import numpy as np
        >>> opt = SGD(lr=0.1, momentum=0.5)
        >>> p = np.array([1.0, -2.0]); s = opt.init(p)
        >>> for _ in range(100):
        ...     p, s = opt.step(p, 2 * p, s)           # f(p) = |p|²
        >>> bool(np.all(np.abs(p) < 1e-6))
        True

    References:
        Robbins & Monro, "A Stochastic Approximation Method", 1951.
        Sutskever, Martens, Dahl & Hinton, "On the importance of initialization and momentum in deep
        learning", ICML 2013 (the momentum and Nesterov forms PyTorch implements).
    """

    display_name = "SGD"
    hyperparameters = (
        Hyperparameter("lr", 0.01, "Learning rate γ: how far to move along the (momentum) gradient.",
                       low=0.0, log=True, ui_low=1e-4, ui_high=1.0),
        Hyperparameter("momentum", 0.0, "Momentum μ: the share of the previous step kept (0 = plain SGD).",
                       low=0.0, high=1.0, high_open=True, ui_high=0.999),
        Hyperparameter("dampening", 0.0, "Dampening τ: shrinks the gradient's share of the velocity.",
                       low=0.0, high=1.0),
        Hyperparameter("nesterov", False, "Nesterov momentum: look ahead along the velocity.",
                       choices=(False, True)),
        Hyperparameter("weight_decay", 0.0, "L2 penalty λ added to the gradient as λθ.",
                       low=0.0, ui_high=1.0),
    )

    def __init__(self, lr: float, momentum: float = 0.0, dampening: float = 0.0, nesterov: bool = False,
                 weight_decay: float = 0.0) -> None:
        self._set(lr=lr, momentum=momentum, dampening=dampening, nesterov=nesterov, weight_decay=weight_decay)
        if self.nesterov and (np.any(np.asarray(self.momentum) <= 0) or np.any(np.asarray(self.dampening) != 0)):
            raise ValueError(
                "The 'nesterov' parameter of SGD can only be True with momentum in (0, 1) and dampening 0. "
                f"Got momentum={self.momentum!r}, dampening={self.dampening!r} instead."
            )

    def init(self, params: Any) -> SGDState:
        return SGDState(momentum_buffer=np.zeros_like(self._params(params)), count=0)

    def step(self, params: Any, grads: Any, state: SGDState, loss: Any = None) -> tuple[np.ndarray, SGDState]:
        p, g = self._params_and_grads(params, grads, state)
        with np.errstate(all="ignore"):  # a diverging run overflows quietly, as it does in torch
            return self._update(p, g, state)

    def _update(self, p: np.ndarray, g: np.ndarray, state: SGDState) -> tuple[np.ndarray, SGDState]:
        mu, tau, lam = self.momentum, self.dampening, self.weight_decay
        # fma wherever torch's kernels fuse (add with alpha), so results agree to the last bit.
        if np.any(lam != 0):
            g = fma(p, lam, g)
        buf = state.momentum_buffer
        if np.any(mu != 0):
            buf = g.copy() if state.count == 0 else fma(g, 1 - tau, buf * mu)  # never the caller's array
            d = fma(buf, mu, g) if self.nesterov else buf
            g = where(mu != 0, d, g)  # per-run momentum may be 0 for some runs: plain SGD there
        new_p = fma(g, -self.lr, p)
        return new_p, SGDState(momentum_buffer=buf, count=state.count + 1)

