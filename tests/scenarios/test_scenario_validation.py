"""Bad input is a ValueError that names the setting, the bad value and the allowed range (a table of cases)."""

from __future__ import annotations

import re

import numpy as np
import pytest

from optimizers import SGD, RMSProp, RProp
from scenarios import MAX_RECORDED, MAX_RUNS, MAX_SEEDS, MAX_STEPS, SCENARIOS, get, run

BOWL = SCENARIOS["bowl"]
STEPS_MSG = re.escape(f"'steps' must be an integer in the range [1, {MAX_STEPS}]. Got ")
SEEDS_MSG = re.escape(f"'seeds' must be a count in the range [1, {MAX_SEEDS}] or up to {MAX_SEEDS} distinct integers")
SEEDS_COUNT_MSG = re.escape(f"'seeds' must be an integer in the range [1, {MAX_SEEDS}]. Got ")
START_MSG = re.escape("'start' must be a point (x, y) with x in [-1, 1] and y in [-1, 1] for scenario 'bowl'. Got ")
OPT_MSG = "'optimizers' must (be a non-empty mapping|map non-empty labels to optimizers)"
TOO_LARGE_MSG = re.escape(f"the limits are {MAX_RUNS} runs and {MAX_RECORDED} run-steps")


def race(**overrides):
    args = {"scenario": BOWL, "optimizers": {"SGD": SGD(lr=0.1)}, "steps": 10, "seeds": 2, **overrides}
    return run(**args)


RUN_CASES = [  # (id, arguments of run that differ from the valid call above, message regex)
    ("steps-0", {"steps": 0}, STEPS_MSG + "0 instead"),
    ("steps-negative", {"steps": -5}, STEPS_MSG + "-5 instead"),
    ("steps-too-large", {"steps": MAX_STEPS + 1}, STEPS_MSG + f"{MAX_STEPS + 1} instead"),
    ("steps-float", {"steps": 10.0}, STEPS_MSG + r"10\.0 instead"),
    ("steps-bool", {"steps": True}, STEPS_MSG + "True instead"),
    ("steps-string", {"steps": "10"}, STEPS_MSG + "'10' instead"),
    ("seeds-0", {"seeds": 0}, SEEDS_COUNT_MSG + "0 instead"),
    ("seeds-negative-count", {"seeds": -3}, SEEDS_COUNT_MSG + "-3 instead"),
    ("seeds-too-many", {"seeds": MAX_SEEDS + 1}, SEEDS_COUNT_MSG + f"{MAX_SEEDS + 1} instead"),
    ("seeds-bool", {"seeds": True}, SEEDS_MSG + ".* Got True instead"),
    ("seeds-float", {"seeds": 2.0}, SEEDS_MSG + r".* Got 2\.0 instead"),
    ("seeds-empty", {"seeds": []}, SEEDS_MSG + r".* Got \[\] instead"),
    ("seeds-negative", {"seeds": [0, -1]}, SEEDS_MSG + r".* Got \[0, -1\] instead"),
    ("seeds-duplicates", {"seeds": [3, 1, 3]}, SEEDS_MSG + r".* Got \[3, 1, 3\] instead"),
    ("seeds-too-large", {"seeds": [2**32]}, SEEDS_MSG + r".* in \[0, 2\*\*32\)"),
    ("seeds-too-many-listed", {"seeds": list(range(MAX_SEEDS + 1))}, SEEDS_MSG),
    ("seeds-float-listed", {"seeds": [0, 1.5]}, SEEDS_MSG + r".* Got \[0, 1\.5\] instead"),
    ("seeds-string", {"seeds": "01"}, SEEDS_MSG + ".* Got '01' instead"),
    ("start-outside-x", {"start": (1.5, 0.0)}, START_MSG + r"\(1\.5, 0\.0\) instead"),
    ("start-outside-y", {"start": (0.0, -1.01)}, START_MSG + r"\(0\.0, -1\.01\) instead"),
    ("start-nan", {"start": (np.nan, 0.0)}, START_MSG + r"\(nan, 0\.0\) instead"),
    ("start-inf", {"start": (0.0, np.inf)}, START_MSG + r"\(0\.0, inf\) instead"),
    ("start-one-value", {"start": (0.5,)}, START_MSG + r"\(0\.5,\) instead"),
    ("start-three-values", {"start": (0.1, 0.2, 0.3)}, START_MSG),
    ("start-nested", {"start": [[0.1, 0.2]]}, START_MSG),
    ("start-text", {"start": "ab"}, START_MSG + "'ab' instead"),
    ("record-every-0", {"record_every": 0},
     re.escape(f"'record_every' must be an integer in the range [1, {MAX_STEPS}]")),
    ("record-every-float", {"record_every": 2.0}, "'record_every' must be an integer"),
    ("optimizers-empty", {"optimizers": {}}, OPT_MSG),
    ("optimizers-list", {"optimizers": [SGD(lr=0.1)]}, OPT_MSG),
    ("optimizers-class", {"optimizers": {"SGD": SGD}}, OPT_MSG),
    ("optimizers-name", {"optimizers": {"SGD": "SGD"}}, OPT_MSG),
    ("optimizers-empty-label", {"optimizers": {"": SGD(lr=0.1)}}, OPT_MSG),
    ("optimizers-label-not-str", {"optimizers": {1: SGD(lr=0.1)}}, OPT_MSG),
    ("optimizers-none", {"optimizers": None}, OPT_MSG),
    ("too-many-run-steps", {"steps": MAX_STEPS, "seeds": MAX_SEEDS},
     f"This race is too large: {MAX_SEEDS} runs × {MAX_STEPS + 1} recorded"),
    ("too-many-run-steps-several-optimizers",
     {"steps": 10_000, "seeds": 200, "optimizers": {"a": SGD(lr=0.1), "b": RProp(), "c": RMSProp()}},
     "This race is too large: 600 runs × 10001 recorded steps; " + TOO_LARGE_MSG),
    ("too-many-runs", {"seeds": MAX_SEEDS, "optimizers": {"SGD": SGD(lr=np.full((400, 1), 0.1))}},
     f"This race is too large: {400 * MAX_SEEDS} runs × 11 recorded steps; " + TOO_LARGE_MSG),
    ("configuration-shapes-disagree",
     {"optimizers": {"a": SGD(lr=np.full((3, 1), 0.1)), "b": RMSProp(lr=np.full((4, 1), 0.1))}},
     re.escape("must share one configuration shape; got shapes [(3,), (4,)]")),
]


@pytest.mark.parametrize(("case", "overrides", "message"), RUN_CASES, ids=[c for c, *_ in RUN_CASES])
def test_run_rejects_bad_input(case, overrides, message):
    with pytest.raises(ValueError, match=message):
        race(**overrides)


@pytest.mark.parametrize(
    "overrides",
    [{"start": (1.0, -1.0)}, {"start": np.array([-1.0, 1.0])}, {"seeds": MAX_SEEDS, "steps": 1},
     {"seeds": [0, 2**32 - 1]}, {"seeds": np.array([5, 2])}, {"steps": np.int64(3)}, {"seeds": np.int64(2)},
     {"record_every": MAX_STEPS}],
    ids=["start-corner", "start-array", "max-seeds", "largest-seed", "seed-array", "numpy-steps", "numpy-seeds",
         "record-every-max"],
)
def test_run_accepts_the_edges_of_each_range(overrides):
    result = race(**overrides)
    assert np.isfinite(result.params).all()


def test_record_every_brings_a_race_within_the_limits():
    """MAX_RUNS is inclusive, and the run-step limit counts recorded steps, not steps taken."""
    sweep = {"SGD": SGD(lr=np.full((MAX_RUNS // 250, 1), 1e-3))}
    assert MAX_RUNS // 250 * 250 == MAX_RUNS
    steps = MAX_RECORDED // MAX_RUNS + 10
    with pytest.raises(ValueError, match=f"This race is too large: {MAX_RUNS} runs × {steps + 1} recorded steps"):
        race(optimizers=sweep, seeds=250, steps=steps)
    thin = race(optimizers=sweep, seeds=250, steps=steps, record_every=steps // 2)
    assert thin.params.shape == (1, 250, MAX_RUNS // 250, 3, 2)
    with pytest.raises(ValueError, match=f"This race is too large: {MAX_RUNS + 250} runs"):
        race(optimizers={"SGD": SGD(lr=np.full((MAX_RUNS // 250 + 1, 1), 1e-3))}, seeds=250, steps=1)


@pytest.mark.parametrize("key", ["nope", "", "Bowl", None, 3, ["bowl"]])
def test_unknown_scenario_key(key):
    with pytest.raises(ValueError, match=re.escape(f"Unknown scenario {key!r}; choose one of: bowl, ravine")):
        get(key)


def test_get_returns_the_catalogue_entry():
    for key, sc in SCENARIOS.items():
        assert get(key) is sc
        assert sc.key == key


CONFIGURE_CASES = [  # (scenario key, settings, message regex)
    ("bowl", {"noise": "uniform"},
     re.escape("The 'noise' parameter of scenario 'bowl' must be one of {'none', 'gaussian', 'skewed'}. Got 'uniform'"
               " instead.")),
    ("bowl", {"noise": None}, "The 'noise' parameter of scenario 'bowl' must be one of .* Got None"),
    ("rosenbrock", {"sigma": -1.0}, re.escape("The 'sigma' parameter of scenario 'rosenbrock' must be") + ".*"
     + re.escape("in the range [0, 10000]. Got -1.0 instead.")),
    ("rosenbrock", {"sigma": np.nan}, r"The 'sigma' parameter of scenario 'rosenbrock' .*\[0, 10000\]\. Got nan"),
    ("rosenbrock", {"sigma": np.inf}, r"The 'sigma' parameter .*\[0, 10000\]\. Got inf"),
    ("rosenbrock", {"sigma": 1e4 + 1}, r"The 'sigma' parameter .*\[0, 10000\]\. Got 10001"),
    ("rosenbrock", {"sigma": "1"}, r"The 'sigma' parameter .*\[0, 10000\]\. Got '1'"),
    ("rosenbrock", {"sigma": np.array([1.0, 2.0])}, r"The 'sigma' parameter .*\[0, 10000\]\. Got array"),
    ("minibatch-trap", {"pull": 0.0}, re.escape("The 'pull' parameter of scenario 'minibatch-trap' must be") + ".*"
     + re.escape("in the range (0, 100]. Got 0.0 instead.")),
    ("minibatch-trap", {"pull": -0.5}, r"The 'pull' parameter .*\(0, 100\]\. Got -0\.5"),
    ("minibatch-trap", {"pull": np.nan}, r"The 'pull' parameter .*\(0, 100\]\. Got nan"),
    ("minibatch-trap", {"pull": 101}, r"The 'pull' parameter .*\(0, 100\]\. Got 101"),
    ("least-squares", {"batch_size": 0},
     re.escape("The 'batch_size' parameter of scenario 'least-squares' must be an integer in the range [1, 120]. "
               "Got 0 instead.")),
    ("least-squares", {"batch_size": 121}, r"'batch_size' .* integer in the range \[1, 120\]\. Got 121"),
    ("least-squares", {"batch_size": 2.5}, r"'batch_size' .* integer in the range \[1, 120\]\. Got 2\.5"),
    ("least-squares", {"batch_size": 10.0}, r"'batch_size' .* integer in the range \[1, 120\]\. Got 10\.0"),
    ("least-squares", {"batch_size": True}, r"'batch_size' .* integer in the range \[1, 120\]\. Got True"),
    ("logistic", {"batch_size": 0}, r"'batch_size' parameter of scenario 'logistic' .* \[1, 100\]\. Got 0"),
    ("logistic", {"batch_size": 101}, r"'batch_size' parameter of scenario 'logistic' .* \[1, 100\]\. Got 101"),
    ("bowl", {"nope": 1}, re.escape("scenario 'bowl' has no setting 'nope'; its settings are: noise, sigma.")),
    ("bowl", {"batch_size": 10}, re.escape("scenario 'bowl' has no setting 'batch_size'")),
    ("minibatch-trap", {"noise": "gaussian"},
     re.escape("scenario 'minibatch-trap' has no setting 'noise'; its settings are: pull.")),
    ("least-squares", {"sigma": 1.0},
     re.escape("scenario 'least-squares' has no setting 'sigma'; its settings are: batch_size.")),
]


@pytest.mark.parametrize(("key", "settings", "message"), CONFIGURE_CASES,
                         ids=[f"{k}-{'-'.join(f'{n}={v!r}' for n, v in s.items())}" for k, s, _ in CONFIGURE_CASES])
def test_configure_rejects_bad_settings(key, settings, message):
    with pytest.raises(ValueError, match=message):
        SCENARIOS[key].configure(**settings)


@pytest.mark.parametrize(
    ("key", "settings"),
    [("bowl", {"noise": "skewed", "sigma": 0.0}), ("bowl", {"sigma": 1e4}), ("minibatch-trap", {"pull": 100.0}),
     ("minibatch-trap", {"pull": 1e-9}), ("least-squares", {"batch_size": 120}), ("least-squares", {"batch_size": 1}),
     ("logistic", {"batch_size": np.int64(100)})],
)
def test_configure_accepts_the_edges_and_copies(key, settings):
    original = SCENARIOS[key]
    before = original.problem.values()
    changed = original.configure(**settings)
    assert changed.problem.values() == {**before, **{k: type(before[k])(v) for k, v in settings.items()}}
    assert original.problem.values() == before  # configure returns a copy; the catalogue is untouched
    assert changed.key == original.key
    assert changed.bounds == original.bounds
    assert changed.minima == original.minima


def test_settings_are_declared_per_kind_of_problem():
    names = {key: [s.name for s in sc.settings] for key, sc in SCENARIOS.items()}
    for key in ("bowl", "ravine", "rotated-ravine", "rosenbrock", "himmelblau", "rastrigin", "saddle"):
        assert names[key] == ["noise", "sigma"]
    assert names["minibatch-trap"] == ["pull"]
    assert names["least-squares"] == names["logistic"] == ["batch_size"]
    for sc in SCENARIOS.values():  # every default is a valid value
        for setting in sc.settings:
            assert sc.configure(**{setting.name: setting.default}).problem.values()[setting.name] == setting.default


def test_catalogue_entries_are_consistent():
    for key, sc in SCENARIOS.items():
        (x_lo, x_hi), (y_lo, y_hi) = sc.bounds
        assert x_lo < x_hi, key
        assert y_lo < y_hi, key
        assert x_lo <= sc.start[0] <= x_hi, key
        assert y_lo <= sc.start[1] <= y_hi, key
        assert sc.title, key
        assert sc.story, key
        assert len(sc.axis_names) == 2, key


def test_run_takes_a_scenario_key_and_rejects_anything_else():
    opts = {"SGD": SGD(lr=0.1)}
    by_key = run("bowl", opts, steps=3, seeds=1)
    by_object = run(SCENARIOS["bowl"], opts, steps=3, seeds=1)
    np.testing.assert_array_equal(by_key.params, by_object.params)
    with pytest.raises(ValueError, match="Unknown scenario 'nope'"):
        run("nope", opts, steps=3, seeds=1)
    with pytest.raises(ValueError, match="'scenario' must be a Scenario or one of the keys"):
        run(42, opts, steps=3, seeds=1)


def test_switching_the_noise_on_without_a_sigma_uses_the_landscape_noise_scale():
    bowl = SCENARIOS["bowl"]
    assert bowl.configure(noise="gaussian").problem.sigma == bowl.problem.noise_scale > 0
    assert bowl.configure(noise="gaussian", sigma=0.0).problem.sigma == 0.0  # an explicit σ is kept
    assert bowl.configure(noise="none").problem.sigma == 0.0
