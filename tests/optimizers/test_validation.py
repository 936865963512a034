"""Bad hyperparameters and bad shapes raise ValueError with a message that names the parameter, the
offending value and what is allowed (the scikit-learn sentence, generated from the declarations)."""

from __future__ import annotations

import inspect
import math
import re
from typing import Any

import numpy as np
import pytest

from optimizers import REGISTRY, SGD, RMSProp, RProp

NAN, INF = math.nan, math.inf


def says(owner: str, name: str, allowed: str, got: str) -> str:
    """Regex for "The '<name>' parameter of <owner> must be ... <allowed>. Got <got> instead."."""
    return rf"^The '{name}' parameter of {owner} must be .*{re.escape(allowed)}\. Got {re.escape(got)} instead\.$"


CHOICES = "{'irprop-', 'rprop-', 'rprop+', 'irprop+'}"
FLAGS = "{False, True}"

# (class, bad kwargs, parameter named in the message, allowed range or choices, repr of the bad value)
BAD_VALUES = [
    # SGD (lr is required, so every SGD row below also passes lr=0.01 unless it tests lr)
    (SGD, {"lr": -0.1}, "lr", "[0, inf)", "-0.1"),
    (SGD, {"lr": -5e-324}, "lr", "[0, inf)", "-5e-324"),  # the float just below 0
    (SGD, {"lr": NAN}, "lr", "[0, inf)", "nan"),
    (SGD, {"lr": INF}, "lr", "[0, inf)", "inf"),
    (SGD, {"lr": -INF}, "lr", "[0, inf)", "-inf"),
    (SGD, {"lr": "0.1"}, "lr", "[0, inf)", "'0.1'"),
    (SGD, {"lr": None}, "lr", "[0, inf)", "None"),
    (SGD, {"lr": True}, "lr", "[0, inf)", "True"),  # a bool is not a number here
    (SGD, {"lr": 0.1j}, "lr", "[0, inf)", "0.1j"),
    (SGD, {"lr": []}, "lr", "[0, inf)", "[]"),
    (SGD, {"lr": [0.1, "a"]}, "lr", "[0, inf)", "[0.1, 'a']"),
    (SGD, {"lr": [[0.1], [0.2, 0.3]]}, "lr", "[0, inf)", "[[0.1], [0.2, 0.3]]"),  # ragged
    (SGD, {"lr": [0.1, -1.0]}, "lr", "[0, inf)", "-1.0"),  # arrays name their first bad value
    (SGD, {"lr": np.array([[0.1], [NAN]])}, "lr", "[0, inf)", "nan"),
    (SGD, {"momentum": 1.0}, "momentum", "[0, 1)", "1.0"),
    (SGD, {"momentum": -0.01}, "momentum", "[0, 1)", "-0.01"),
    (SGD, {"momentum": [[0.9], [1.0]]}, "momentum", "[0, 1)", "1.0"),
    (SGD, {"dampening": 1.0000000000000002}, "dampening", "[0, 1]", "1.0000000000000002"),
    (SGD, {"dampening": -0.5}, "dampening", "[0, 1]", "-0.5"),
    (SGD, {"weight_decay": -1e-3}, "weight_decay", "[0, inf)", "-0.001"),
    (SGD, {"weight_decay": INF}, "weight_decay", "[0, inf)", "inf"),
    (SGD, {"nesterov": 1}, "nesterov", FLAGS, "1"),  # 1 == True in Python, but it is not a flag
    (SGD, {"nesterov": 0}, "nesterov", FLAGS, "0"),
    (SGD, {"nesterov": "yes"}, "nesterov", FLAGS, "'yes'"),
    (SGD, {"nesterov": None}, "nesterov", FLAGS, "None"),
    # RMSProp
    (RMSProp, {"lr": -0.1}, "lr", "[0, inf)", "-0.1"),
    (RMSProp, {"lr": NAN}, "lr", "[0, inf)", "nan"),
    (RMSProp, {"beta": 1.0}, "beta", "[0, 1)", "1.0"),
    (RMSProp, {"beta": -0.1}, "beta", "[0, 1)", "-0.1"),
    (RMSProp, {"beta": NAN}, "beta", "[0, 1)", "nan"),
    (RMSProp, {"beta": np.array([[0.9], [1.0]])}, "beta", "[0, 1)", "1.0"),
    (RMSProp, {"eps": 0.0}, "eps", "(0, inf)", "0.0"),
    (RMSProp, {"eps": -1e-8}, "eps", "(0, inf)", "-1e-08"),
    (RMSProp, {"eps": INF}, "eps", "(0, inf)", "inf"),
    (RMSProp, {"momentum": 1}, "momentum", "[0, 1)", "1"),
    (RMSProp, {"momentum": -0.5}, "momentum", "[0, 1)", "-0.5"),
    (RMSProp, {"weight_decay": -1.0}, "weight_decay", "[0, inf)", "-1.0"),
    (RMSProp, {"weight_decay": NAN}, "weight_decay", "[0, inf)", "nan"),
    (RMSProp, {"centered": 1}, "centered", FLAGS, "1"),
    (RMSProp, {"centered": "True"}, "centered", FLAGS, "'True'"),
    (RMSProp, {"centered": None}, "centered", FLAGS, "None"),
    # RProp
    (RProp, {"lr": -1.0}, "lr", "[0, inf)", "-1.0"),
    (RProp, {"lr": -INF}, "lr", "[0, inf)", "-inf"),
    (RProp, {"eta_minus": 0.0}, "eta_minus", "(0, 1)", "0.0"),
    (RProp, {"eta_minus": 1.0}, "eta_minus", "(0, 1)", "1.0"),
    (RProp, {"eta_minus": 1.5}, "eta_minus", "(0, 1)", "1.5"),
    (RProp, {"eta_minus": True}, "eta_minus", "(0, 1)", "True"),
    (RProp, {"eta_minus": [0.5, 0.0]}, "eta_minus", "(0, 1)", "0.0"),
    (RProp, {"eta_plus": 1.0}, "eta_plus", "(1, inf)", "1.0"),
    (RProp, {"eta_plus": 0.5}, "eta_plus", "(1, inf)", "0.5"),
    (RProp, {"eta_plus": INF}, "eta_plus", "(1, inf)", "inf"),
    (RProp, {"eta_plus": NAN}, "eta_plus", "(1, inf)", "nan"),
    (RProp, {"step_min": -1e-6}, "step_min", "[0, inf)", "-1e-06"),
    (RProp, {"step_min": INF}, "step_min", "[0, inf)", "inf"),
    (RProp, {"step_max": 0.0}, "step_max", "(0, inf)", "0.0"),
    (RProp, {"step_max": -INF}, "step_max", "(0, inf)", "-inf"),
    (RProp, {"step_max": "50"}, "step_max", "(0, inf)", "'50'"),
    (RProp, {"variant": "adam"}, "variant", CHOICES, "'adam'"),
    (RProp, {"variant": "iRprop-"}, "variant", CHOICES, "'iRprop-'"),  # names are lower case
    (RProp, {"variant": "irprop−"}, "variant", CHOICES, "'irprop−'"),  # U+2212, the typeset minus
    (RProp, {"variant": None}, "variant", CHOICES, "None"),
]


def make(cls: type, kwargs: dict[str, Any]) -> Any:
    return cls(**{**({"lr": 0.01} if cls is SGD else {}), **kwargs})


@pytest.mark.parametrize(("cls", "kwargs", "name", "allowed", "got"), BAD_VALUES,
                         ids=[f"{c.__name__}-{name}={got}" for c, _, name, _, got in BAD_VALUES])
def test_bad_value_raises_naming_parameter_value_and_range(
    cls: type, kwargs: dict[str, Any], name: str, allowed: str, got: str
) -> None:
    with pytest.raises(ValueError, match=says(cls.__name__, name, allowed, got)):
        make(cls, kwargs)


# Constraints between parameters: (class, kwargs, regex).
BAD_COMBINATIONS = [
    (SGD, {"nesterov": True}, r"'nesterov' parameter of SGD .*momentum in \(0, 1\) and dampening 0\. "
                              r"Got momentum=0\.0, dampening=0\.0 instead"),
    (SGD, {"nesterov": True, "momentum": 0.9, "dampening": 0.1},
     r"'nesterov' parameter of SGD .*Got momentum=0\.9, dampening=0\.1 instead"),
    (SGD, {"nesterov": True, "momentum": [[0.9], [0.0]]},  # every run needs momentum
     r"'nesterov' parameter of SGD .*Got momentum=array\(\[\[0\.9\],\s+\[0\. \]\]\), dampening=0\.0 instead"),
    (SGD, {"nesterov": True, "momentum": 0.9, "dampening": [[0.0], [0.5]]}, r"'nesterov' parameter of SGD"),
    (RProp, {"step_min": 1.0, "step_max": 0.5},
     r"'step_min' parameter of RProp must not exceed 'step_max'\. Got step_min=1\.0, step_max=0\.5 instead"),
    (RProp, {"step_min": [[1e-6], [2.0]], "step_max": 1.0},  # elementwise: the second run is bad
     r"(?s)'step_min' parameter of RProp must not exceed 'step_max'\. Got step_min=array\(.*\), step_max=1\.0"),
    (RProp, {"step_min": 1e-3, "step_max": [[1.0], [1e-4]]},
     r"'step_min' parameter of RProp must not exceed 'step_max'\. Got step_min=0\.001, step_max=array"),
    (RProp, {"step_min": [1e-6, 1e-6], "step_max": [1.0, 1.0, 1.0]}, r"'step_min' and 'step_max' parameters of RProp"),
    (SGD, {"momentum": 10**400}, r"'momentum' parameter of SGD .*\[0, 1\)"),
]


@pytest.mark.parametrize(("cls", "kwargs", "pattern"), BAD_COMBINATIONS)
def test_inconsistent_values_raise(cls: type, kwargs: dict[str, Any], pattern: str) -> None:
    with pytest.raises(ValueError, match=pattern):
        make(cls, kwargs)


# -- generic, from the declarations: holds for every optimizer REGISTRY will ever hold -----------------

# Float hyperparameters (scalars or per-run arrays); integer counts, if an optimizer ever has one, are not arrays.
NUMERIC = [(cls, hp) for cls in REGISTRY.values() for hp in cls.hyperparameters
           if hp.is_numeric and not getattr(hp, "integer", False)]
CHOICE = [(cls, hp) for cls in REGISTRY.values() for hp in cls.hyperparameters if not hp.is_numeric]
# Values that other parameters' constraints need when one parameter sits at the edge of its range.
EDGE_BASE: dict[str, dict[str, Any]] = {"RProp": {"step_min": 0.0}, "SGD": {"momentum": 0.5}}


def just_outside(hp: Any) -> list[float]:
    out = []
    if math.isfinite(hp.low):
        out.append(hp.low if hp.low_open else float(np.nextafter(hp.low, -INF)))
    if math.isfinite(hp.high):
        out.append(hp.high if hp.high_open else float(np.nextafter(hp.high, INF)))
    return out


def just_inside(hp: Any) -> list[float]:
    out = []
    if math.isfinite(hp.low):
        out.append(float(np.nextafter(hp.low, INF)) if hp.low_open else hp.low)
    if math.isfinite(hp.high):
        out.append(float(np.nextafter(hp.high, -INF)) if hp.high_open else hp.high)
    return out


def hp_id(case: Any) -> str:
    return f"{case[0].__name__}-{case[1].name}"


@pytest.mark.parametrize(("cls", "hp"), NUMERIC, ids=[hp_id(c) for c in NUMERIC])
def test_every_numeric_declaration_rejects_values_just_outside_and_non_finite(cls: type, hp: Any) -> None:
    bad = [*just_outside(hp), NAN, INF, -INF]
    assert len(bad) >= 4, "every numeric hyperparameter has at least one finite end"
    for value in bad:
        for given in (value, np.array([[hp.default], [value]])):  # alone, and as one bad run among others
            with pytest.raises(ValueError, match=says(cls.__name__, hp.name, hp.range_text, repr(value))):
                cls(**{**cls.defaults(), hp.name: given})
    for wrong_type in ("0.5", None, True, 0.5j, [0.5, None]):
        with pytest.raises(ValueError, match=says(cls.__name__, hp.name, hp.range_text, repr(wrong_type))):
            cls(**{**cls.defaults(), hp.name: wrong_type})


@pytest.mark.parametrize(("cls", "hp"), NUMERIC, ids=[hp_id(c) for c in NUMERIC])
def test_every_numeric_declaration_accepts_its_ends_and_default(cls: type, hp: Any) -> None:
    base = {**cls.defaults(), **EDGE_BASE.get(cls.__name__, {})}
    for value in [*just_inside(hp), hp.default]:
        opt = cls(**{**base, hp.name: value})
        assert getattr(opt, hp.name) == value
        assert isinstance(getattr(opt, hp.name), float)
    per_run = cls(**{**base, hp.name: np.array([[v] for v in just_inside(hp)])})
    np.testing.assert_array_equal(getattr(per_run, hp.name)[:, 0], just_inside(hp))


@pytest.mark.parametrize(("cls", "hp"), CHOICE, ids=[hp_id(c) for c in CHOICE])
def test_every_choice_declaration_accepts_exactly_its_choices(cls: type, hp: Any) -> None:
    base = {**cls.defaults(), **EDGE_BASE.get(cls.__name__, {})}
    for choice in hp.choices:
        assert getattr(cls(**{**base, hp.name: choice}), hp.name) == choice
    for bad in ("not a choice", None, 1, 0, 1.0, [hp.default]):
        if any(type(bad) is type(c) and bad == c for c in hp.choices):
            continue
        with pytest.raises(ValueError, match=says(cls.__name__, hp.name, hp.range_text, repr(bad))):
            cls(**{**base, hp.name: bad})


@pytest.mark.parametrize("cls", list(REGISTRY.values()), ids=list(REGISTRY))
def test_constructor_signature_matches_the_declarations(cls: type) -> None:
    params = list(inspect.signature(cls).parameters.values())
    assert [p.name for p in params] == [hp.name for hp in cls.hyperparameters]  # constructor order
    for p, hp in zip(params, cls.hyperparameters, strict=True):
        if cls is SGD and hp.name == "lr":  # required, as in the DESIGN contract; the widget default is 0.01
            assert p.default is inspect.Parameter.empty
        else:
            assert p.default == hp.default, hp.name
            assert type(p.default) is type(hp.default), hp.name
    cls(**cls.defaults())  # the declared defaults are a valid configuration


def test_declared_defaults_are_the_design_documents() -> None:
    assert SGD.defaults() == {"lr": 0.01, "momentum": 0.0, "dampening": 0.0, "nesterov": False, "weight_decay": 0.0}
    assert RMSProp.defaults() == {"lr": 0.01, "beta": 0.9, "eps": 1e-8, "momentum": 0.0, "centered": False,
                                  "weight_decay": 0.0}
    assert RProp.defaults() == {"lr": 0.01, "eta_minus": 0.5, "eta_plus": 1.2, "step_min": 1e-6, "step_max": 50.0,
                                "variant": "irprop-"}
    assert set(REGISTRY) >= {"SGD", "RMSProp", "RProp"}


# -- shapes --------------------------------------------------------------------------------------------

ALL = [SGD(lr=0.1), RMSProp(), RProp(), RProp(variant="irprop+")]


@pytest.mark.parametrize("opt", ALL, ids=repr)
@pytest.mark.parametrize(("params_shape", "grads_shape"), [((3,), (2,)), ((4, 2), (2, 4)), ((4, 2), (1, 2)),
                                                           ((4, 2), (4, 2, 1)), ((2,), ())])
def test_grads_must_have_the_shape_of_params(opt: Any, params_shape: tuple, grads_shape: tuple) -> None:
    # (1, 2) would broadcast against (4, 2): still an error, a gradient is per run and per coordinate.
    params = np.zeros(params_shape)
    state = opt.init(params)
    with pytest.raises(ValueError, match=re.escape(f"grads must have the shape of params {params_shape}; got "
                                                   f"{grads_shape}")):
        opt.step(params, np.ones(grads_shape), state, loss=np.zeros(params_shape[:-1]))


@pytest.mark.parametrize("opt", ALL, ids=repr)
def test_params_must_have_a_coordinate_axis(opt: Any) -> None:
    with pytest.raises(ValueError, match=r"params must have shape \(\.\.\., d\)"):
        opt.init(np.float64(1.0))


NOT_BROADCASTING = [
    (SGD, "lr", (3, 1), (4, 2)),
    (SGD, "momentum", (4, 2, 1), (4, 2)),  # broadcasts, but into a bigger shape than params
    (RMSProp, "beta", (3, 1), (2,)),
    (RMSProp, "eps", (2, 1), (4, 2)),
    (RProp, "eta_plus", (5, 1), (4, 2)),
    (RProp, "lr", (1, 4, 1), (4, 2)),
]


@pytest.mark.parametrize(("cls", "name", "hp_shape", "params_shape"), NOT_BROADCASTING)
def test_hyperparameter_array_must_broadcast_against_params(
    cls: type, name: str, hp_shape: tuple, params_shape: tuple
) -> None:
    value = np.full(hp_shape, cls.declaration(name).default)
    opt = cls(**{**({"lr": 0.01} if cls is SGD else {}), name: value})
    message = rf"'{name}' parameter of {cls.__name__} has shape {re.escape(str(hp_shape))}.*" \
              rf"params of shape {re.escape(str(params_shape))}"
    with pytest.raises(ValueError, match=message):
        opt.init(np.zeros(params_shape))
    # ... and at step, when the state came from params of a shape that fits.
    state = opt.init(np.zeros(hp_shape))
    with pytest.raises(ValueError, match=message):
        opt.step(np.zeros(params_shape), np.zeros(params_shape), state)


def test_per_run_array_along_a_middle_axis_is_accepted() -> None:
    # (4, 1) against params (2, 4, 2): one value per run along the second run axis.
    opt = SGD(lr=np.full((4, 1), 0.1))
    params = np.ones((2, 4, 2))
    new, _ = opt.step(params, np.ones((2, 4, 2)), opt.init(params))
    np.testing.assert_array_equal(new, np.full((2, 4, 2), 0.9))


@pytest.mark.parametrize("loss_shape", [(3,), (5,), (4, 1), (4, 2), (2, 4)])
def test_irprop_plus_loss_must_have_one_value_per_run(loss_shape: tuple) -> None:
    opt = RProp(variant="irprop+")
    params = np.zeros((4, 2))
    with pytest.raises(ValueError, match=re.escape("loss must have shape params.shape[:-1] = (4,)")):
        opt.step(params, np.ones((4, 2)), opt.init(params), loss=np.zeros(loss_shape))


@pytest.mark.parametrize("make", [lambda: SGD(lr=0.1, momentum=0.9), RMSProp, RProp])
def test_a_state_made_for_other_params_is_refused(make: Any) -> None:
    opt = make()
    state = opt.init(np.zeros((5, 2)))
    with pytest.raises(ValueError, match=r"state\.\w+ has shape \(5, 2\), made by init\(\) for other params"):
        opt.step(np.zeros((1, 2)), np.ones((1, 2)), state)


def test_a_numpy_string_names_a_variant() -> None:
    assert RProp(variant=np.str_("rprop+")).variant == "rprop+"
