r"""RProp, resilient propagation: one step size per weight, adapted from gradient *signs* alone.

Four variants (Igel & Hüsken 2000). ``"irprop-"`` matches ``torch.optim.Rprop`` step for step in float64.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from optimizers.base import Optimizer, torch_sign
from optimizers.hyperparameters import Hyperparameter

VARIANTS = ("irprop-", "rprop-", "rprop+", "irprop+")


class RPropState(NamedTuple):
    prev_grad: np.ndarray  # the previous gradient; 0 after a sign flip (every variant but rprop-)
    step_sizes: np.ndarray  # Δ, one step size per weight
    prev_update: np.ndarray  # Δθ, the weight change of the previous step (for the + variants' revert)
    prev_loss: np.ndarray  # E at the previous iterate, one per run; NaN before the first step


class RProp(Optimizer):
    r"""RProp in its four classic variants; the default ``"irprop-"`` is ``torch.optim.Rprop``.

    Every weight keeps its own step size Δ, adapted from the product of its last two gradients, with
    :math:`\eta^-` (``eta_minus``), :math:`\eta^+` (``eta_plus``), :math:`\Delta_{min}` (``step_min``),
    :math:`\Delta_{max}` (``step_max``) and :math:`\Delta_0` = ``lr``, and :math:`g_{prev} = 0` at first::

        s ← g_prev · g_t
        Δ ← min(Δ η⁺, Δmax)   if s > 0          (same sign: accelerate)
        Δ ← max(Δ η⁻, Δmin)   if s < 0          (sign flip: we jumped over a minimum, brake)
        Δ ← clip(Δ, Δmin, Δmax) if s = 0

    then, per variant (Igel & Hüsken's names):

    ============  =========================================  ===================================
    variant       on a sign flip (s < 0)                     otherwise
    ============  =========================================  ===================================
    ``rprop-``    θ ← θ − sign(g) Δ;  g_prev ← g             θ ← θ − sign(g) Δ;  g_prev ← g
    ``irprop-``   θ unchanged;        g_prev ← 0             θ ← θ − sign(g) Δ;  g_prev ← g
    ``rprop+``    θ ← θ − Δθ_prev (undo); g_prev ← 0         Δθ ← −sign(g) Δ; θ ← θ + Δθ; g_prev ← g
    ``irprop+``   undo only if E_t > E_{t−1}; g_prev ← 0     as rprop+
    ============  =========================================  ===================================

    ``irprop+`` needs the loss E at the current iterate: pass ``loss`` (one value per run, shape
    ``params.shape[:-1]``) to :meth:`step`. On the first step there is no previous loss, so nothing is
    reverted. Setting ``g_prev ← 0`` after a flip makes the next step a "zero" step: it moves by the
    already-shrunk Δ without shrinking it again.

    The magnitude of the gradient is never used, only its sign. That is what makes RProp robust to
    badly scaled gradients, and what breaks it on mini-batches: it follows the *majority* sign of the
    batch gradients, so it settles where half the batches push each way (the median of the batch
    minimisers), not where the average gradient is zero.

    Args:
        lr: initial step size Δ₀ ≥ 0 (default 0.01), clipped into [step_min, step_max] on the first step.
        eta_minus: η⁻ in (0, 1), the factor applied after a sign flip (default 0.5).
        eta_plus: η⁺ > 1, the factor applied while the sign holds (default 1.2).
        step_min: Δmin ≥ 0 (default 1e-6).
        step_max: Δmax > 0, at least step_min (default 50).
        variant: one of ``"irprop-"`` (default), ``"rprop-"``, ``"rprop+"``, ``"irprop+"``.

    Warning — where libraries differ:
        * PyTorch's ``Rprop`` is iRprop− and clips Δ into [Δmin, Δmax] on every step, including the first
          and after zero products; Igel & Hüsken leave Δ untouched there. The two agree whenever lr lies in
          [step_min, step_max]; this class follows PyTorch for all variants.
        * optax's ``scale_by_rprop`` returns the previous step's update (each update arrives one step
          late); this class, like PyTorch, applies the update computed from the current gradient.
        * Keras has no RProp.

    Example (iRprop−, a gradient whose sign flips once):
        >>> import numpy as np
        >>> opt = RProp(lr=0.1)
        >>> p = np.zeros(1); s = opt.init(p); moves = []
        >>> for g in [1.0, 1.0, 1.0, -1.0, 1.0]:
        ...     q, s = opt.step(p, [g], s); moves.append(round(abs(q - p).item(), 6)); p = q
        >>> moves
        [0.1, 0.12, 0.144, 0.0, 0.072]

    References:
        Riedmiller & Braun, "A direct adaptive method for faster backpropagation learning: the RPROP
        algorithm", IEEE International Conference on Neural Networks, 1993.
        Igel & Hüsken, "Improving the Rprop learning algorithm", Proceedings of the Second International
        Symposium on Neural Computation (NC 2000), 2000.
    """

    display_name = "RProp"
    hyperparameters = (
        Hyperparameter("lr", 0.01, "Initial step size Δ₀ of every weight.",
                       low=0.0, log=True, ui_low=1e-4, ui_high=1.0),
        Hyperparameter("eta_minus", 0.5, "η⁻: multiply the step by this after a sign flip.",
                       low=0.0, high=1.0, low_open=True, high_open=True, ui_low=0.01, ui_high=0.99),
        Hyperparameter("eta_plus", 1.2, "η⁺: multiply the step by this while the sign holds.",
                       low=1.0, low_open=True, ui_low=1.01, ui_high=2.0),
        Hyperparameter("step_min", 1e-6, "Δmin: the smallest step size.",
                       low=0.0, log=True, ui_low=1e-9, ui_high=1e-2),
        Hyperparameter("step_max", 50.0, "Δmax: the largest step size.",
                       low=0.0, low_open=True, log=True, ui_low=1e-3, ui_high=100.0),
        Hyperparameter("variant", "irprop-", "irprop− (PyTorch), Rprop−, Rprop+ (undo on flip), "
                       "iRprop+ (undo on flip only if the loss went up).", choices=VARIANTS),
    )

    def __init__(self, lr: float = 0.01, eta_minus: float = 0.5, eta_plus: float = 1.2, step_min: float = 1e-6,
                 step_max: float = 50.0, variant: str = "irprop-") -> None:
        self._set(lr=lr, eta_minus=eta_minus, eta_plus=eta_plus, step_min=step_min, step_max=step_max,
                  variant=variant)
        try:
            crossed = np.any(np.asarray(self.step_min) > np.asarray(self.step_max))
        except ValueError:
            raise ValueError(
                "The 'step_min' and 'step_max' parameters of RProp must broadcast against each other. Got shapes "
                f"{np.shape(self.step_min)} and {np.shape(self.step_max)} instead."
            ) from None
        if crossed:
            raise ValueError(
                "The 'step_min' parameter of RProp must not exceed 'step_max'. "
                f"Got step_min={self.step_min!r}, step_max={self.step_max!r} instead."
            )

    def init(self, params: Any) -> RPropState:
        p = self._params(params)
        return RPropState(
            prev_grad=np.zeros_like(p),
            step_sizes=np.broadcast_to(self.lr, p.shape).astype(float),
            prev_update=np.zeros_like(p),
            prev_loss=np.full(p.shape[:-1], np.nan),
        )

    def step(self, params: Any, grads: Any, state: RPropState, loss: Any = None) -> tuple[np.ndarray, RPropState]:
        p, g = self._params_and_grads(params, grads, state)
        loss = self._loss(loss, p.shape[:-1])
        with np.errstate(all="ignore"):  # inf × 0 and friends: silent, and signed as torch signs them
            # The sign of the product, as torch computes it: a product that underflows counts as zero, and
            # a NaN (a NaN gradient, or inf × 0) has sign 0, so it acts like a zero gradient.
            s = torch_sign(g * state.prev_grad)
            factor = np.where(s > 0, self.eta_plus, np.where(s < 0, self.eta_minus, 1.0))
            step_sizes = np.minimum(np.maximum(state.step_sizes * factor, self.step_min), self.step_max)
            flip = s < 0
            if self.variant == "rprop-":
                update = -torch_sign(g) * step_sizes
                prev_grad = g.copy()  # the state never shares memory with the caller's arrays
            else:
                prev_grad = np.where(flip, 0.0, g)
                update = -torch_sign(prev_grad) * step_sizes
                if self.variant in ("rprop+", "irprop+"):
                    undo = flip
                    if self.variant == "irprop+":
                        went_up = loss > state.prev_loss  # False on the first step: prev_loss is NaN
                        undo = flip & went_up[..., None]
                    update = np.where(undo, -state.prev_update, update)
            new_p = p + update
        prev_loss = state.prev_loss if loss is None else loss.copy()
        return new_p, RPropState(prev_grad=prev_grad, step_sizes=step_sizes, prev_update=update,
                                 prev_loss=prev_loss)

    def _loss(self, loss: Any, shape: tuple[int, ...]) -> np.ndarray | None:
        if loss is None:
            if self.variant == "irprop+":
                raise ValueError("RProp(variant='irprop+') needs the loss: call step(params, grads, state, "
                                 f"loss=...) with one value per run, shape {shape}.")
            return None
        arr = np.asarray(loss, dtype=float)
        if arr.shape != shape:
            raise ValueError(f"loss must have shape params.shape[:-1] = {shape} (one value per run); "
                             f"got {arr.shape}.")
        return arr
