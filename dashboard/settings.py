"""The validated, frozen settings of a view: what the widgets and the URL describe, and the server's caps.

Pure Python (no Streamlit), so the same objects key the caches, build the optimizers and are tested
directly. Every hyperparameter is checked with the optimizers' own declarations.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from optimizers import REGISTRY, Optimizer
from scenarios import SCENARIOS, Scenario

# Hard caps, enforced on the server whatever the URL says. One Compare view then costs at most
# 9 configurations × 32 seeds × 5,000 steps = 1.4 M run-steps (about 45 MB of results, a few seconds).
MAX_STEPS = 5_000
MAX_SEEDS = 32
MAX_PER_FAMILY = 3  # configurations of one optimizer side by side (e.g. RMSProp at β 0.9 and 0.99)

#: URL prefix of each optimizer family (short keys: ``rms_beta=0.99``, ``rms2_beta=0.9``).
PREFIX = {"SGD": "sgd", "RProp": "rprop", "RMSProp": "rms"}
FAMILIES = tuple(PREFIX)

#: Short, readable symbols for legends (``RMSProp β=0.9``).
SYMBOL = {"lr": "lr", "beta": "β", "eps": "ε", "momentum": "μ", "dampening": "τ", "weight_decay": "λ",
          "eta_minus": "η⁻", "eta_plus": "η⁺", "step_min": "Δmin", "step_max": "Δmax", "nesterov": "nesterov",
          "centered": "centered"}

#: What a fresh Compare page races: the tutorial's three, each at a setting that works on most landscapes.
DEFAULT_HYPERPARAMS = {"SGD": {"lr": 0.05}, "RProp": {}, "RMSProp": {"lr": 0.01, "beta": 0.99}}


def check_cap(name: str, value: int, low: int, high: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ValueError(f"{name!r} must be an integer in [{low}, {high}]. Got {value!r} instead.")


def family_defaults(family: str, scenario: str | None = None) -> dict[str, Any]:
    """The starting values of a family's widgets: the declarations' defaults, ours on top, and the
    scenario's suggestions (a smaller SGD learning rate on Rosenbrock, say) on top of those."""
    suggested = {name: v for f, name, v in SCENARIOS[scenario].suggested if f == family} if scenario else {}
    return {**REGISTRY[family].defaults(), **DEFAULT_HYPERPARAMS[family], **suggested}


@dataclass(frozen=True)
class OptimizerConfig:
    """One optimizer configuration: its family (a registry name) and its hyperparameters."""

    family: str
    values: tuple[tuple[str, Any], ...]  # (name, value) in declaration order

    @classmethod
    def of(cls, family: str, **values: Any) -> OptimizerConfig:
        """Validated: unknown families or bad values raise ValueError (the optimizer's own message)."""
        if family not in REGISTRY:
            raise ValueError(f"Unknown optimizer {family!r}; choose one of: {', '.join(REGISTRY)}.")
        merged = {**family_defaults(family), **values}
        opt = REGISTRY[family](**merged)
        return cls(family, tuple(opt.hyperparams().items()))

    def build(self) -> Optimizer:
        return REGISTRY[self.family](**dict(self.values))


def labels(configs: tuple[OptimizerConfig, ...]) -> tuple[str, ...]:
    """Legend labels: the family name, plus the hyperparameters that tell same-family configs apart."""
    out = []
    for config in configs:
        same = [c for c in configs if c.family == config.family]
        if len(same) == 1:
            name = config.family
            if config.family == "RProp" and dict(config.values)["variant"] != "irprop-":
                name += f" {dict(config.values)['variant']}"
            out.append(name)
            continue
        differing = [k for k, v in config.values if any(dict(c.values)[k] != v for c in same)]
        parts = [_show(k, dict(config.values)[k]) for k in differing]
        out.append(f"{config.family} {', '.join(parts)}" if parts else config.family)
    # Identical configurations are allowed; number the repeats so every label stays unique.
    seen: dict[str, int] = {}
    unique = []
    for label in out:
        seen[label] = seen.get(label, 0) + 1
        unique.append(label if seen[label] == 1 else f"{label} #{seen[label]}")
    return tuple(unique)


def _show(name: str, value: Any) -> str:
    if isinstance(value, bool):
        return f"{SYMBOL[name]}" if value else f"no {SYMBOL[name]}"
    if isinstance(value, str):
        return value
    return f"{SYMBOL[name]}={value:g}"


@dataclass(frozen=True)
class CompareSettings:
    """Everything that determines a Compare view's results (the cache key of the engine call)."""

    scenario: str = "minibatch-trap"
    scenario_values: tuple[tuple[str, Any], ...] = ()
    steps: int = 500
    seeds: int = 8
    start: tuple[float, float] | None = None
    configs: tuple[OptimizerConfig, ...] = field(
        default_factory=lambda: tuple(OptimizerConfig.of(f) for f in FAMILIES)
    )

    def __post_init__(self) -> None:
        """The server's caps hold however the settings were made (widgets, URL or code)."""
        check_cap("steps", self.steps, 1, MAX_STEPS)
        check_cap("seeds", self.seeds, 1, MAX_SEEDS)
        for family in FAMILIES:
            check_cap(f"configurations of {family}", sum(c.family == family for c in self.configs), 0, MAX_PER_FAMILY)
        self.scenario_object()  # unknown scenario or bad settings raise ValueError here

    def scenario_object(self) -> Scenario:
        return SCENARIOS[self.scenario].configure(**dict(self.scenario_values))

    def start_point(self) -> tuple[float, float]:
        return self.start if self.start is not None else SCENARIOS[self.scenario].start

    @property
    def labels(self) -> tuple[str, ...]:
        return labels(self.configs)
