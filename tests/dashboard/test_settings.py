"""dashboard/settings.py: legend labels and validated optimizer configurations."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dashboard.settings import (
    DEFAULT_HYPERPARAMS,
    FAMILIES,
    CompareSettings,
    OptimizerConfig,
    family_defaults,
    labels,
)
from optimizers import REGISTRY

C = OptimizerConfig.of

# -- labels ----------------------------------------------------------------------------------------------

LABEL_CASES = [
    pytest.param((C("SGD"), C("RProp"), C("RMSProp")), ("SGD", "RProp", "RMSProp"), id="defaults"),
    pytest.param((C("RMSProp", beta=0.9), C("RMSProp", beta=0.99), C("SGD")),
                 ("RMSProp β=0.9", "RMSProp β=0.99", "SGD"), id="beta differs"),
    pytest.param((C("RMSProp", lr=0.01, beta=0.9), C("RMSProp", lr=0.1, beta=0.99)),
                 ("RMSProp lr=0.01, β=0.9", "RMSProp lr=0.1, β=0.99"), id="two differ"),
    pytest.param((C("RMSProp", lr=0.01, beta=0.9), C("RMSProp", lr=0.1, beta=0.9), C("RMSProp", lr=0.1, beta=0.99)),
                 ("RMSProp lr=0.01, β=0.9", "RMSProp lr=0.1, β=0.9", "RMSProp lr=0.1, β=0.99"), id="three"),
    pytest.param((C("SGD", momentum=0.9, nesterov=True), C("SGD", momentum=0.9)),
                 ("SGD nesterov", "SGD no nesterov"), id="flag"),
    pytest.param((C("RProp", variant="rprop+"),), ("RProp rprop+",), id="lone variant"),
    pytest.param((C("RProp"), C("RProp", variant="irprop+")), ("RProp irprop-", "RProp irprop+"), id="variants"),
    pytest.param((C("RMSProp", eps=1e-8), C("RMSProp", eps=1e-6)), ("RMSProp ε=1e-08", "RMSProp ε=1e-06"), id="eps"),
    pytest.param((C("RMSProp"), C("RMSProp")), ("RMSProp", "RMSProp #2"), id="identical"),
    pytest.param((C("SGD"), C("SGD"), C("SGD")), ("SGD", "SGD #2", "SGD #3"), id="three identical"),
    pytest.param((C("RMSProp", beta=0.9), C("RMSProp", beta=0.9), C("RMSProp", beta=0.99)),
                 ("RMSProp β=0.9", "RMSProp β=0.9 #2", "RMSProp β=0.99"), id="identical pair and one"),
]


@pytest.mark.parametrize(("configs", "expected"), LABEL_CASES)
def test_labels(configs, expected):
    assert labels(configs) == expected


POOL = [C("SGD"), C("SGD", lr=0.01), C("SGD", momentum=0.9, nesterov=True), C("RProp"), C("RProp", variant="rprop+"),
        C("RProp", lr=0.1), C("RMSProp"), C("RMSProp", beta=0.9), C("RMSProp", centered=True, eps=1e-6)]


@given(st.lists(st.sampled_from(POOL), min_size=1, max_size=9))
def test_labels_are_unique_and_name_the_family(configs):
    out = labels(tuple(configs))
    assert len(out) == len(configs) == len(set(out))
    for config, label in zip(configs, out, strict=True):
        assert label.split(" ")[0] == config.family


def test_settings_labels_follow_the_configurations():
    s = CompareSettings(configs=(C("RMSProp", beta=0.9), C("RMSProp", beta=0.99)))
    assert s.labels == ("RMSProp β=0.9", "RMSProp β=0.99")


# -- OptimizerConfig -------------------------------------------------------------------------------------

BAD = [
    ("RMSProp", {"beta": 1.0}, r"'beta' parameter of RMSProp must be .* \[0, 1\)\. Got 1\.0 instead"),
    ("RMSProp", {"lr": -0.1}, r"'lr' parameter of RMSProp .* Got -0\.1 instead"),
    ("RMSProp", {"eps": 0.0}, r"'eps' parameter of RMSProp .* \(0, inf\)"),
    ("RMSProp", {"lr": math.nan}, r"'lr' parameter of RMSProp .* Got nan instead"),
    ("SGD", {"lr": math.inf}, r"'lr' parameter of SGD"),
    ("SGD", {"momentum": 1.0}, r"'momentum' parameter of SGD"),
    ("SGD", {"nesterov": "yes"}, r"'nesterov' parameter of SGD must be one of \{False, True\}"),
    ("SGD", {"nesterov": 1}, r"'nesterov' parameter of SGD"),
    ("RProp", {"eta_plus": 1.0}, r"'eta_plus' parameter of RProp .* \(1, inf\)"),
    ("RProp", {"eta_minus": 1.0}, r"'eta_minus' parameter of RProp"),
    ("RProp", {"variant": "adam"}, r"'variant' parameter of RProp"),
    ("RProp", {"lr": "0.1"}, r"'lr' parameter of RProp"),
]


@pytest.mark.parametrize(("family", "values", "message"), BAD)
def test_of_rejects_bad_values_with_the_optimizers_own_message(family, values, message):
    with pytest.raises(ValueError, match=message) as ours:
        C(family, **values)
    with pytest.raises(ValueError, match=message) as theirs:
        REGISTRY[family](**{**family_defaults(family), **values})
    assert str(ours.value) == str(theirs.value)


def test_of_rejects_unknown_families():
    with pytest.raises(ValueError, match=r"Unknown optimizer 'Adam'; choose one of: .*RMSProp.*"):
        C("Adam")


GOOD = [
    ("SGD", {}),
    ("SGD", {"lr": 0.2, "momentum": 0.9, "dampening": 0.1, "nesterov": False, "weight_decay": 0.01}),
    ("SGD", {"momentum": 0.5, "nesterov": True}),
    ("RProp", {"lr": 0.001, "eta_minus": 0.3, "eta_plus": 1.5, "step_min": 1e-9, "step_max": 1.0, "variant": "rprop+"}),
    ("RMSProp", {"lr": 0.05, "beta": 0.5, "eps": 1e-6, "momentum": 0.9, "centered": True, "weight_decay": 0.1}),
]


@pytest.mark.parametrize(("family", "values"), GOOD)
def test_build_round_trips_the_hyperparameters(family, values):
    config = C(family, **values)
    names = [hp.name for hp in REGISTRY[family].hyperparameters]
    assert [name for name, _ in config.values] == names  # declaration order
    expected = {**REGISTRY[family].defaults(), **DEFAULT_HYPERPARAMS[family], **values}
    assert dict(config.values) == expected
    opt = config.build()
    assert type(opt) is REGISTRY[family]
    assert opt.hyperparams() == expected
    assert C(family, **opt.hyperparams()) == config  # and back


def test_configs_are_hashable_cache_keys():
    assert C("SGD") == C("SGD", lr=0.05)
    assert hash(C("SGD")) == hash(C("SGD", lr=0.05))
    assert C("SGD") != C("SGD", lr=0.01)
    assert CompareSettings() == CompareSettings()
    assert hash(CompareSettings()) == hash(CompareSettings())
    assert tuple(c.family for c in CompareSettings().configs) == FAMILIES


def test_dashboard_defaults_are_the_stories_choices():
    assert dict(C("SGD").values)["lr"] == 0.05
    assert dict(C("RMSProp").values)["beta"] == 0.99  # the tutorial's β
    assert dict(C("RMSProp").values)["lr"] == 0.01
    assert dict(C("RProp").values) == REGISTRY["RProp"].defaults()
