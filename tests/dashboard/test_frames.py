"""dashboard.frames: the tidy DataFrames made once per race, checked against numpy on the race's own arrays.

Oracles: ``np.nanquantile`` / ``np.nanmedian`` over the seeds axis, ``|θ_t − θ_{t−1}|`` taken by hand, the
closed form of SGD on the bowl (``θ_t = (1 − 2·lr)^t θ_0``) and a plain Python loop for the step at which
it overflows.
"""

from __future__ import annotations

import io
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from dashboard import frames
from dashboard.settings import FAMILIES, MAX_PER_FAMILY, MAX_SEEDS, MAX_STEPS, CompareSettings, OptimizerConfig
from optimizers import SGD, RMSProp, RProp
from scenarios import SCENARIOS, run

BOWL = SCENARIOS["bowl"]
NOISY_ROSENBROCK = SCENARIOS["rosenbrock"].configure(noise="gaussian", sigma=50.0)


def nanquantile(values: np.ndarray, qs, axis: int) -> np.ndarray:
    """numpy's reference, without its "All-NaN slice" warning (pyproject turns warnings into errors)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanquantile(values, qs, axis=axis)


def close(got: np.ndarray, expected: np.ndarray, scale: float) -> bool:
    """Equal up to rounding: numpy interpolates with a different (equally exact) formula."""
    return np.allclose(got, expected, rtol=1e-12, atol=1e-13 * scale, equal_nan=True)


# -- races shared by the tests (small, except the one at the Compare page's caps) ------------------


@pytest.fixture(scope="module")
def mixed_race():
    """Rosenbrock with strong noise: SGD 0.004 loses some seeds, SGD 0.008 all of them, RMSProp none."""
    race = run(NOISY_ROSENBROCK, {"SGD lr=0.004": SGD(lr=0.004), "SGD lr=0.008": SGD(lr=0.008),
                                  "RMSProp": RMSProp(lr=0.01)}, steps=300, seeds=8)
    diverged = race.diverged_at >= 0
    assert 0 < diverged[0].sum() < 8, "precondition: the first configuration loses some seeds, not all"
    assert diverged[1].all(), "precondition: the second configuration loses every seed"
    assert not diverged[2].any(), "precondition: the third none"
    return race


@pytest.fixture(scope="module")
def largest_race():
    """The Compare page at its caps: 3 configurations of every family × MAX_SEEDS seeds × MAX_STEPS steps."""
    configs = tuple(OptimizerConfig.of(f, lr=lr) for f in FAMILIES for lr in (0.001, 0.01, 0.1)[:MAX_PER_FAMILY])
    s = CompareSettings(scenario="rosenbrock", steps=MAX_STEPS, seeds=MAX_SEEDS, configs=configs)
    assert len(s.configs) == 9
    return run(s.scenario_object(), {label: c.build() for label, c in zip(s.labels, s.configs, strict=True)},
               steps=s.steps, seeds=s.seeds, start=s.start_point())


# -- drawn_steps ---------------------------------------------------------------------------------


@given(n=st.integers(1, 50_000), max_points=st.integers(1, 3_000))
def test_drawn_steps_keeps_ends_sorted_unique_and_bounded(n, max_points):
    idx = frames.drawn_steps(n, max_points)
    assert idx.dtype.kind == "i"
    assert idx[0] == 0
    assert idx[-1] == n - 1
    assert np.all(np.diff(idx) > 0)  # sorted, unique
    assert len(idx) <= max(max_points, 2)  # two points at least: the first and the last
    if n <= max_points:
        assert np.array_equal(idx, np.arange(n))
    elif max_points >= 2:
        assert len(idx) == max_points  # nothing lost to rounding
        gaps = np.diff(idx)
        assert gaps.max() - gaps.min() <= 1  # evenly spread


def test_drawn_steps_of_nothing_is_empty():
    assert len(frames.drawn_steps(0, 10)) == 0


# -- _quantiles against np.nanquantile ---------------------------------------------------------------

values_with_nans = hnp.arrays(
    np.float64,
    hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=6),
    elements=st.one_of(st.floats(-1e6, 1e6), st.just(np.nan)),
)


@given(values=values_with_nans, data=st.data())
@settings(max_examples=300)
def test_quantiles_equal_numpy_nanquantile(values, data):
    axis = data.draw(st.integers(0, values.ndim - 1))
    qs = tuple(data.draw(st.lists(st.floats(0.0, 1.0), min_size=1, max_size=4)))
    got = frames._quantiles(values, qs, axis=axis)
    expected = nanquantile(values, qs, axis=axis)
    assert got.shape == expected.shape
    scale = float(np.nanmax(np.abs(values))) if np.isfinite(values).any() else 1.0
    assert close(got, expected, scale), (got, expected)


@pytest.mark.parametrize(("values", "axis"), [
    (np.full((4, 3), np.nan), 0),  # every slice all-NaN
    (np.array([[np.nan, 1.0, 2.0], [np.nan, np.nan, 5.0], [np.nan, 3.0, np.nan]]), 0),  # one all-NaN column
    (np.array([[7.0, np.nan, np.nan]]), 1),  # a single finite value
])
def test_quantiles_all_nan_slices_give_nan_silently(values, axis):
    got = frames._quantiles(values, (0.25, 0.5, 0.75), axis=axis)  # a RuntimeWarning would fail the test
    assert np.array_equal(got, nanquantile(values, (0.25, 0.5, 0.75), axis=axis), equal_nan=True)


# -- path_frame ---------------------------------------------------------------------------------------


def test_path_frame_rows_are_the_race_iterates_in_step_order(mixed_race):
    paths = frames.path_frame(mixed_race)
    assert list(paths.columns) == ["config", "seed", "step", "x", "y"]
    assert np.isfinite(paths[["x", "y"]].to_numpy()).all()
    for (config, seed), run_rows in paths.groupby(["config", "seed"], sort=False):
        steps = run_rows["step"].to_numpy()
        assert np.all(np.diff(steps) > 0), (config, seed)  # in step order, as the rows come
        k, s = mixed_race.labels.index(config), mixed_race.seeds.index(seed)
        t = np.searchsorted(mixed_race.steps, steps)
        expected = mixed_race.params[k, s, t]
        assert np.array_equal(run_rows[["x", "y"]].to_numpy(), expected)
        assert steps[0] == 0
        assert len(steps) <= max(frames.PATH_POINTS // mixed_race.params[..., 0, 0].size, 20)
        if mixed_race.diverged_at[k, s] >= 0:
            assert steps.max() < mixed_race.diverged_at[k, s]
        else:
            assert steps[-1] == mixed_race.steps[-1]  # thinned, but the last step kept


def test_path_frame_of_a_diverged_sgd_has_no_nan_or_inf():
    race = run(SCENARIOS["rosenbrock"], {"SGD": SGD(lr=0.5), "RProp": RProp()}, steps=200, seeds=3)
    assert (race.diverged_at[0] >= 0).all(), "precondition: SGD at lr 0.5 leaves the finite numbers"
    assert np.isnan(race.params[0]).any()
    steps = frames.drawn_steps(len(race.steps), frames.LINE_POINTS)
    for paths in (frames.path_frame(race), frames.path_frame(race, steps)):
        assert np.isfinite(paths[["x", "y"]].to_numpy()).all()
        assert (paths["config"] == "SGD").any()  # the diverged run is drawn up to where it left


def test_path_frame_ends_a_diverged_run_at_its_last_finite_iterate():
    race = run(SCENARIOS["rosenbrock"], {"SGD": SGD(lr=0.01), "RProp": RProp(), "RMSProp": RMSProp(lr=0.01)},
               steps=2000, seeds=8)
    assert (race.diverged_at[0] == 6).all(), "precondition: SGD at lr 0.01 overflows at step 6"
    paths = frames.path_frame(race, frames.drawn_steps(len(race.steps), frames.LINE_POINTS))
    sgd = paths[paths["config"] == "SGD"]
    last = sgd.groupby("seed")["step"].max()
    assert (last == 5).all(), last.to_dict()


def test_path_frame_stays_bounded_at_the_compare_caps(largest_race):
    runs = largest_race.params.shape[0] * largest_race.params.shape[1]
    per_run = max(frames.PATH_POINTS // runs, 20)
    for steps in (None, frames.drawn_steps(len(largest_race.steps), frames.LINE_POINTS)):
        paths = frames.path_frame(largest_race, steps)
        assert len(paths) <= max(frames.PATH_POINTS, 20 * runs)
        assert paths.groupby(["config", "seed"]).size().max() <= per_run
        assert np.isfinite(paths[["x", "y"]].to_numpy()).all()
        ends = paths.groupby(["config", "seed"])["step"].agg(["min", "max"])
        assert (ends["min"] == 0).all()
        finite = largest_race.diverged_at < 0
        # runs that never diverged keep their last step
        kept = ends.loc[[(lab, s) for k, lab in enumerate(largest_race.labels)
                         for j, s in enumerate(largest_race.seeds) if finite[k, j]], "max"]
        assert (kept == MAX_STEPS).all()


# -- loss_frame ------------------------------------------------------------------------------------


def test_loss_frame_matches_nanquantile_over_seeds(mixed_race):
    race, min_loss = mixed_race, NOISY_ROSENBROCK.min_loss
    steps = frames.drawn_steps(len(race.steps), 120)
    losses = frames.loss_frame(race, min_loss, steps)
    assert list(losses.columns) == ["config", "step", "median", "q25", "q75", "seeds"]

    gap = np.maximum(race.loss[:, :, steps] - min_loss, frames.GAP_FLOOR)  # NaN stays NaN
    q25, median, q75 = nanquantile(gap, (0.25, 0.5, 0.75), axis=1)
    count = np.isfinite(gap).sum(axis=1)
    k, j = np.nonzero(count > 0)  # row-major: config, then step, as the frame is laid out
    assert losses["config"].tolist() == [race.labels[i] for i in k]
    assert np.array_equal(losses["step"], race.steps[steps][j])
    assert np.array_equal(losses["seeds"], count[k, j])
    scale = float(np.nanmax(gap))
    for column, expected in (("median", median), ("q25", q25), ("q75", q75)):
        assert close(losses[column].to_numpy(), expected[k, j], scale), column
    assert np.isfinite(losses[["median", "q25", "q75"]].to_numpy()).all()
    assert (losses[["median", "q25", "q75"]] >= frames.GAP_FLOOR).all().all()
    # the configuration that lost every seed keeps only the steps before the last one left
    all_gone = losses[losses["config"] == "SGD lr=0.008"]
    assert all_gone["step"].max() < race.diverged_at[1].max()


# -- step_frame ------------------------------------------------------------------------------------


def test_step_frame_is_the_step_taken_and_drops_zero_steps():
    race = run(BOWL, {"RProp": RProp(), "SGD": SGD(lr=0.1)}, steps=60, seeds=1, start=(-0.9, 0.6))
    p = race.params[:, 0]  # (n_opt, T, 2), one seed
    taken = np.abs(np.diff(p, axis=1))  # the step into steps 1 … T−1
    assert (taken[0] == 0).any(), "precondition: iRprop− does not move on a sign flip"
    sizes = frames.step_frame(race, np.arange(len(race.steps)), axis_names=("w", "b"))
    assert list(sizes.columns) == ["config", "step", "coordinate", "size"]
    assert set(sizes["coordinate"]) == {"w", "b"}
    expected = {(label, t + 1, name): taken[k, t, c] for k, label in enumerate(race.labels)
                for t in range(taken.shape[1]) for c, name in enumerate(("w", "b")) if taken[k, t, c] > 0}
    got = {(r.config, r.step, r.coordinate): r.size for r in sizes.itertuples()}
    assert got.keys() == expected.keys()  # zero steps (and step 0) left out, nothing else
    assert all(got[key] == expected[key] for key in got)


def test_step_frame_is_the_median_over_seeds_of_nonzero_steps(mixed_race):
    race = mixed_race
    steps = frames.drawn_steps(len(race.steps), 80)
    sizes = frames.step_frame(race, steps)
    want = steps[steps >= 1]
    taken = np.abs(race.params[:, :, want] - race.params[:, :, want - 1])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        expected = np.nanmedian(np.where(taken > 0, taken, np.nan), axis=1)  # (n_opt, S, 2)
    k, j, c = np.nonzero(np.isfinite(expected))
    assert sizes["config"].tolist() == [race.labels[i] for i in k]
    assert np.array_equal(sizes["step"], race.steps[want][j])
    assert sizes["coordinate"].tolist() == [("x", "y")[i] for i in c]
    assert close(sizes["size"].to_numpy(), expected[k, j, c], float(np.nanmax(expected)))
    assert (sizes["size"] > 0).all()


# -- summary_frame ---------------------------------------------------------------------------------


def test_summary_of_sgd_on_the_bowl_is_its_closed_form():
    lr, steps = 0.1, 100
    race = run(BOWL, {"SGD": SGD(lr=lr)}, steps=steps, seeds=3)
    x0 = np.asarray(BOWL.start)
    radius = np.hypot(*x0) * (1 - 2 * lr) ** np.arange(steps + 1)  # |θ_t| = 0.8^t |θ_0|
    tol = frames.reach_tolerance(BOWL)
    assert tol == pytest.approx(0.02)  # 1 % of the box's side 2
    row = frames.summary_frame(race, BOWL).iloc[0]
    assert row["config"] == "SGD"
    assert row["steps to reach"] == int(np.argmax(radius <= tol))
    assert row["final loss − min"] == BOWL.loss(race.params[0, 0, -1])
    assert row["final loss − min"] == pytest.approx(radius[-1] ** 2, rel=1e-9)
    assert row["best loss − min"] == row["final loss − min"]  # the loss only falls
    assert row["distance to minimum"] == pytest.approx(radius[-1], rel=1e-9)
    assert row["reached"] == "3/3"
    assert row["diverged"] == "0/3"
    assert row["diverged at"] is None or pd.isna(row["diverged at"])


def test_summary_reports_the_first_divergence_step_found_by_hand():
    race = run(BOWL, {"SGD lr=1.5": SGD(lr=1.5), "SGD lr=0.1": SGD(lr=0.1)}, steps=600, seeds=2)
    p, t = np.asarray(BOWL.start, dtype=float), 0  # θ ← θ − 1.5·2θ = −2θ until θ² overflows
    with np.errstate(over="ignore"):
        while np.isfinite(p @ p):
            p, t = p - 1.5 * (2.0 * p), t + 1
    assert 500 < t < 600
    summary = frames.summary_frame(race, BOWL).set_index("config")
    bad, good = summary.loc["SGD lr=1.5"], summary.loc["SGD lr=0.1"]
    assert bad["diverged"] == "2/2"
    assert bad["diverged at"] == t
    assert np.isnan(bad["final loss − min"])
    assert np.isnan(bad["distance to minimum"])
    assert bad["best loss − min"] == BOWL.loss(np.asarray(BOWL.start))  # it only went up
    assert np.isnan(bad["steps to reach"])
    assert bad["reached"] == "0/2"
    assert good["diverged"] == "0/2"
    assert pd.isna(good["diverged at"])


def test_summary_takes_medians_over_seeds(mixed_race):
    race, scenario = mixed_race, NOISY_ROSENBROCK
    summary = frames.summary_frame(race, scenario)
    assert summary["config"].tolist() == list(race.labels)
    dist = np.hypot(*np.moveaxis(race.params - np.asarray(scenario.minima[0]), -1, 0))
    tol = frames.reach_tolerance(scenario)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        final = np.nanmedian(race.loss[:, :, -1], axis=1)
        best = np.nanmedian(np.nanmin(race.loss, axis=-1), axis=1)
        distance = np.nanmedian(dist[:, :, -1], axis=1)
    reached = (dist <= tol).any(-1)
    first = np.where(reached, np.argmax(dist <= tol, axis=-1), np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        steps_to_reach = np.nanmedian(first, axis=1)
    for k, row in summary.iterrows():
        n_div = int((race.diverged_at[k] >= 0).sum())
        assert row["diverged"] == f"{n_div}/8"
        assert row["reached"] == f"{int(reached[k].sum())}/8"
        np.testing.assert_allclose(
            [row["final loss − min"], row["best loss − min"], row["distance to minimum"], row["steps to reach"]],
            [final[k], best[k], distance[k], steps_to_reach[k]], rtol=1e-12, equal_nan=True)
        if n_div:
            assert row["diverged at"] == race.diverged_at[k][race.diverged_at[k] >= 0].min()
        else:
            assert pd.isna(row["diverged at"])


# -- runs_csv ----------------------------------------------------------------------------------------


def test_runs_csv_round_trips_exactly_with_the_promised_columns():
    scenario = SCENARIOS["least-squares"]
    race = run(scenario, {"SGD": SGD(lr=0.05), "SGD, fast": SGD(lr=50.0), "RMSProp": RMSProp(lr=0.01)},
               steps=150, seeds=2)
    assert (race.diverged_at[1] >= 0).all(), "precondition: SGD at lr 50 diverges on least squares"
    text = frames.runs_csv(race)
    table = pd.read_csv(io.StringIO(text))
    # x, y whatever the scenario calls its parameters (here w, b): one schema for every download
    assert list(table.columns) == ["optimizer", "seed", "step", "x", "y", "loss", "batch_loss"]
    n_opt, n_seed, n_t = race.loss.shape
    assert len(table) == n_opt * n_seed * n_t
    assert table["optimizer"].tolist() == [lab for lab in race.labels for _ in range(n_seed * n_t)]
    assert np.array_equal(table["seed"], np.tile(np.repeat(race.seeds, n_t), n_opt))
    assert np.array_equal(table["step"], np.tile(race.steps, n_opt * n_seed))
    for column, values in (("x", race.params[..., 0]), ("y", race.params[..., 1]), ("loss", race.loss),
                           ("batch_loss", race.batch_loss)):
        assert table[column].dtype == np.float64
        assert np.array_equal(table[column].to_numpy(), values.ravel(), equal_nan=True), column  # bit for bit
    assert table["loss"].isna().any()  # diverged steps are left empty …
    assert "nan" not in text.lower()
    assert "inf" not in text.lower()


def test_runs_csv_default_axis_names():
    race = run(BOWL, {"SGD": SGD(lr=0.1)}, steps=5, seeds=1)
    header = frames.runs_csv(race).splitlines()[0]
    assert header == "optimizer,seed,step,x,y,loss,batch_loss"


def test_runs_csv_is_capped_by_writing_every_kth_step(monkeypatch):
    monkeypatch.setattr(frames, "MAX_CSV_ROWS", 400)
    race = run(BOWL, {"SGD": SGD(lr=0.1), "RProp": RProp()}, steps=1000, seeds=2)
    table = pd.read_csv(io.StringIO(frames.runs_csv(race)))
    assert len(table) <= 400
    steps = table.loc[(table["optimizer"] == "SGD") & (table["seed"] == 0), "step"].to_numpy()
    assert steps[0] == 0
    assert steps[-1] == 1000  # the first and the last step are always written
    assert np.all(np.diff(steps) > 0)


# -- compact -----------------------------------------------------------------------------------------


def test_compact_halves_float_bytes_and_keeps_values_and_categories(mixed_race):
    paths = frames.path_frame(mixed_race)
    paths = paths[(paths[["x", "y"]].abs() < 1e30).all(axis=1)].reset_index(drop=True)  # huge ones: next test
    paths["config"] = paths["config"].astype(object)
    small = frames.compact(paths)
    assert list(small.columns) == list(paths.columns)
    assert len(small) == len(paths)
    for column in ("x", "y"):
        assert small[column].dtype == np.float32
        assert small[column].nbytes * 2 == paths[column].nbytes
        assert np.array_equal(small[column].to_numpy(), paths[column].to_numpy().astype(np.float32))
        np.testing.assert_allclose(small[column], paths[column], rtol=2**-24)  # float32's rounding, no worse
    for column in ("seed", "step"):
        assert small[column].dtype.kind == "i"
        assert small[column].dtype.itemsize < paths[column].dtype.itemsize
        assert np.array_equal(small[column], paths[column])
    assert isinstance(small["config"].dtype, pd.CategoricalDtype)
    assert small["config"].astype(str).tolist() == paths["config"].tolist()
    assert set(small["config"].cat.categories) == set(mixed_race.labels)


def test_compact_clips_beyond_float32_instead_of_overflowing(mixed_race):
    paths = frames.path_frame(mixed_race)
    huge = paths[["x", "y"]].abs().to_numpy() > np.finfo(np.float32).max
    assert huge.any(), "precondition: a diverging run passes through values float32 cannot hold"
    small = frames.compact(paths)  # an overflow warning would fail the test
    values = small[["x", "y"]].to_numpy()
    assert np.isfinite(values).all()
    assert np.abs(values).max() <= np.float32(frames.FLOAT32_LIMIT)
    assert np.array_equal(np.sign(values[huge]), np.sign(paths[["x", "y"]].to_numpy()[huge]))


def test_compact_handles_pandas_string_columns():
    frame = pd.DataFrame({"config": pd.Series(["a", "b", "a"], dtype="string"), "v": [1.0, 2.0, 3.0],
                          "ok": [True, False, True]})
    small = frames.compact(frame)
    assert isinstance(small["config"].dtype, pd.CategoricalDtype)
    assert small["config"].astype(str).tolist() == ["a", "b", "a"]
    assert small["ok"].tolist() == [True, False, True]  # left as it was
