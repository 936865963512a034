"""One test per server-side cap: whatever a URL or a caller asks for, one request's work stays bounded."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import settings as compare_caps
from dashboard import sweep
from dashboard.settings import CompareSettings, OptimizerConfig
from optimizers import SGD
from scenarios import MAX_SEEDS, MAX_STEPS, SCENARIOS, run

ROOT = Path(__file__).resolve().parents[2]


def compare(**query: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "dashboard/pages/compare.py"), default_timeout=180)
    for key, value in query.items():
        at.query_params[key] = value
    return at.run()


def test_steps_are_capped_on_the_page_and_in_the_settings():
    at = compare(steps="999999999", seeds="1")
    assert not at.exception
    assert at.number_input(key="steps").value == compare_caps.MAX_STEPS
    with pytest.raises(ValueError, match="'steps' must be an integer in \\[1, 5000\\]"):
        CompareSettings(steps=compare_caps.MAX_STEPS + 1)
    with pytest.raises(ValueError, match="'steps' must be an integer in the range \\[1, 20000\\]"):
        run(SCENARIOS["bowl"], {"SGD": SGD(lr=0.1)}, steps=MAX_STEPS + 1, seeds=1)


def test_seeds_are_capped_on_the_page_and_in_the_settings():
    at = compare(seeds="1000", steps="10")
    assert not at.exception
    assert at.number_input(key="seeds").value == compare_caps.MAX_SEEDS
    with pytest.raises(ValueError, match="'seeds' must be an integer in \\[1, 32\\]"):
        CompareSettings(seeds=compare_caps.MAX_SEEDS + 1)
    with pytest.raises(ValueError, match="'seeds' must be an integer in the range \\[1, 256\\]"):
        run(SCENARIOS["bowl"], {"SGD": SGD(lr=0.1)}, steps=1, seeds=MAX_SEEDS + 1)


def test_configurations_are_capped_per_optimizer():
    at = compare(sgd_n="50", rprop_n="50", rms_n="50", steps="10", seeds="1")
    assert not at.exception
    assert [at.number_input(key=k).value for k in ("sgd_n", "rprop_n", "rms_n")] == [compare_caps.MAX_PER_FAMILY] * 3
    assert len(at.dataframe[0].value) == 3 * compare_caps.MAX_PER_FAMILY
    too_many = tuple(OptimizerConfig.of("SGD") for _ in range(compare_caps.MAX_PER_FAMILY + 1))
    with pytest.raises(ValueError, match="configurations of SGD"):
        CompareSettings(configs=too_many)


def test_the_sweep_grid_is_capped_at_40_by_40():
    at = AppTest.from_file(str(ROOT / "dashboard/pages/sweep.py"), default_timeout=180)
    at.query_params.update({"grid": "400", "seeds": "99", "steps": "99999"})
    at.run()
    assert not at.exception
    assert at.selectbox(key="grid").value in {str(g) for g in sweep.GRID_SIZES}
    assert at.number_input(key="seeds").value == sweep.MAX_SEEDS
    assert at.number_input(key="steps").value == sweep.MAX_STEPS
    for bad, message in (({"grid": 400}, "'grid' must be one of"), ({"seeds": 9}, "'seeds' must be"),
                         ({"steps": 501}, "'steps' must be")):
        with pytest.raises(ValueError, match=message):
            sweep.SweepSettings(**bad)
    biggest = sweep.SweepSettings(grid=max(sweep.GRID_SIZES))
    assert len(sweep.lr_values(biggest)) <= 40
    assert all(len(sweep.second_values(f, a, biggest.grid)) <= 40 for f, a in biggest.axes)


def test_the_batch_size_is_capped_at_the_data_set():
    at = compare(scenario="least-squares", batch_size="100000", steps="10", seeds="1")
    assert not at.exception
    n = len(SCENARIOS["least-squares"].problem.targets)
    assert at.number_input(key="batch_size").value == n
    with pytest.raises(ValueError, match="batch_size"):
        SCENARIOS["least-squares"].configure(batch_size=n + 1)
