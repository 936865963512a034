"""The shared interface: an optimizer holds only hyperparameters; its state travels through return values.

    opt = RMSProp(lr=0.01, beta=0.9)
    state = opt.init(params)                              # params: float array, shape (..., d)
    params, state = opt.step(params, grads, state)        # new arrays; the inputs are not mutated
    params, state = opt.step(params, grads, state, loss=l)  # l: shape params.shape[:-1] (iRprop+)

Leading axes of ``params`` are independent runs, and every numeric hyperparameter may be an array that
broadcasts against ``params`` (shape ``(R, 1)`` gives each of R runs its own value), so a sweep over
1,600 learning rates is one ``step`` call per step.
"""

from __future__ import annotations

from typing import Any, ClassVar, NamedTuple

import numpy as np

from optimizers.hyperparameters import Hyperparameter

#: Display name -> optimizer class, filled by :meth:`Optimizer.__init_subclass__`.
REGISTRY: dict[str, type[Optimizer]] = {}


class Optimizer:
    """Base class: validation from the declarations, broadcasting checks, repr and the registry.

    A subclass declares ``display_name`` and ``hyperparameters`` (a tuple of :class:`Hyperparameter`
    in constructor order), calls :meth:`_set` from its ``__init__`` and implements ``init`` and ``step``.
    """

    display_name: ClassVar[str]
    hyperparameters: ClassVar[tuple[Hyperparameter, ...]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        REGISTRY[cls.display_name] = cls

    def _set(self, **values: Any) -> None:
        """Validate every hyperparameter against its declaration and store it as an attribute."""
        owner = type(self).__name__
        for hp in self.hyperparameters:
            setattr(self, hp.name, hp.validate(values[hp.name], owner))

    @classmethod
    def declaration(cls, name: str) -> Hyperparameter:
        return next(hp for hp in cls.hyperparameters if hp.name == name)

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        return {hp.name: hp.default for hp in cls.hyperparameters}

    def hyperparams(self) -> dict[str, Any]:
        """The validated hyperparameters, by name (floats, read-only arrays, flags and choices)."""
        return {hp.name: getattr(self, hp.name) for hp in self.hyperparameters}

    def __repr__(self) -> str:
        def show(v: Any) -> str:
            return f"array(shape={v.shape})" if isinstance(v, np.ndarray) else repr(v)

        args = ", ".join(f"{k}={show(v)}" for k, v in self.hyperparams().items())
        return f"{type(self).__name__}({args})"

    def init(self, params: Any) -> NamedTuple:
        raise NotImplementedError

    def step(self, params: Any, grads: Any, state: NamedTuple, loss: Any = None) -> tuple[np.ndarray, NamedTuple]:
        raise NotImplementedError

    # -- helpers shared by the update rules -------------------------------------------------------

    def _params(self, params: Any) -> np.ndarray:
        """``params`` as a float64 array of shape (..., d), checked against the hyperparameters' shapes."""
        p = np.asarray(params, dtype=float)
        if p.ndim == 0:
            raise ValueError(f"params must have shape (..., d) with at least one axis; got a scalar {params!r}.")
        for name, value in self.hyperparams().items():
            if isinstance(value, np.ndarray) and _broadcast_shape(value.shape, p.shape) != p.shape:
                raise ValueError(
                    f"The {name!r} parameter of {type(self).__name__} has shape {value.shape}, which does not "
                    f"broadcast against params of shape {p.shape}; use a float or an array such as shape "
                    f"{(*p.shape[:-1], 1)} (one value per run)."
                )
        return p

    def _params_and_grads(self, params: Any, grads: Any, state: NamedTuple | None = None
                          ) -> tuple[np.ndarray, np.ndarray]:
        p = self._params(params)
        g = np.asarray(grads, dtype=float)
        if g.shape != p.shape:
            raise ValueError(f"grads must have the shape of params {p.shape}; got {g.shape}.")
        for name, value in ({} if state is None else state._asdict()).items():
            expected = p.shape[:-1] if name == "prev_loss" else p.shape
            if isinstance(value, np.ndarray) and value.shape != expected:
                raise ValueError(f"state.{name} has shape {value.shape}, made by init() for other params; "
                                 f"these have shape {p.shape}.")
        return p, g


def _broadcast_shape(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...] | None:
    try:
        return np.broadcast_shapes(a, b)
    except ValueError:
        return None


def torch_sign(x: np.ndarray) -> np.ndarray:
    """``sign(x)`` as torch computes it: like numpy's, except that NaN has sign 0 (numpy: NaN)."""
    return np.sign(np.where(np.isnan(x), 0.0, x))


def where(mask: Any, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``np.where`` that skips the work when ``mask`` is a plain True/False (the common scalar case)."""
    if np.ndim(mask) == 0:
        return a if mask else b
    return np.where(mask, a, b)
