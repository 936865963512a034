"""Gradient-descent update rules in numpy, vectorised over runs: SGD, RProp (four variants), RMSProp.

Functional, like optax: an optimizer holds only its hyperparameters; the state is explicit.

    >>> import numpy as np
    >>> from optimizers import RMSProp
    >>> opt = RMSProp(lr=0.01, beta=0.99)
    >>> params = np.array([[-0.16595599, 0.44064899]])      # one run, two coordinates
    >>> state = opt.init(params)
    >>> params, state = opt.step(params, 2 * params, state)  # f(x, y) = x² + y²
    >>> np.round(params, 8).tolist()
    [[-0.06595602, 0.340649]]

SGD, RMSProp and RProp(variant="irprop-") agree with torch.optim.SGD / RMSprop / Rprop in float64.
``REGISTRY`` maps display names to classes; adding an optimizer is one new module that subclasses
:class:`Optimizer` (it registers itself) plus its import below.
"""

from optimizers.base import REGISTRY, Optimizer
from optimizers.hyperparameters import Hyperparameter
from optimizers.rmsprop import RMSProp, RMSPropState
from optimizers.rprop import VARIANTS, RProp, RPropState
from optimizers.sgd import SGD, SGDState

__all__ = [
    "REGISTRY",
    "SGD",
    "VARIANTS",
    "Hyperparameter",
    "Optimizer",
    "RMSProp",
    "RMSPropState",
    "RProp",
    "RPropState",
    "SGDState",
]
