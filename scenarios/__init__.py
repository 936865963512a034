"""Landscapes, noisy gradient streams and the vectorised race engine. numpy only.

    >>> from optimizers import RMSProp, RProp, SGD
    >>> from scenarios import SCENARIOS, run
    >>> race = run(SCENARIOS["minibatch-trap"], {"SGD": SGD(lr=0.05), "RProp": RProp(),
    ...            "RMSProp": RMSProp(lr=0.01, beta=0.99)}, steps=3000, seeds=8)
    >>> race.params.shape
    (3, 8, 3001, 2)
    >>> [round(float(x), 2) + 0.0 for x in race.params[:, :, -500:].mean(axis=(1, 2, 3))]  # where each settles
    [0.0, -0.1, 0.0]
"""

from scenarios.catalog import SCENARIOS, Scenario, get
from scenarios.engine import MAX_RECORDED, MAX_RUNS, MAX_SEEDS, MAX_STEPS, Race, run
from scenarios.problems import NOISE_KINDS, FiniteSum, Landscape, LeastSquares, Logistic, Problem, Trap

__all__ = [
    "MAX_RECORDED",
    "MAX_RUNS",
    "MAX_SEEDS",
    "MAX_STEPS",
    "NOISE_KINDS",
    "SCENARIOS",
    "FiniteSum",
    "Landscape",
    "LeastSquares",
    "Logistic",
    "Problem",
    "Race",
    "Scenario",
    "Trap",
    "get",
    "run",
]
