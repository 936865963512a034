"""Properties every configuration must have: bounds from the update equations, no-ops, vectorisation over
runs, purity (nothing mutated, nothing aliased), float64 arithmetic, and an exactly rounded fma."""

from __future__ import annotations

import copy
import math
import warnings
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optimizers import SGD, VARIANTS, RMSProp, RProp
from optimizers.numerics import fma

PROPERTY = settings(max_examples=60, deadline=None)


def stream(seed: int, shape: tuple[int, ...], steps: int, zeros: float = 0.1, flip: float = 0.5) -> np.ndarray:
    """Gradients of shape (steps, *shape): random signs that flip with probability ``flip``, magnitudes over
    four decades, exact zeros with probability ``zeros``."""
    rng = np.random.default_rng(seed)
    flips = np.where(rng.random((steps, *shape)) < flip, -1.0, 1.0)
    grads = np.cumprod(flips, axis=0) * 10.0 ** rng.uniform(-2, 2, size=(steps, *shape))
    grads[rng.random(grads.shape) < zeros] = 0.0
    return grads


def losses_for(seed: int, lead: tuple[int, ...], steps: int) -> np.ndarray:
    """A loss per step and run that goes up about as often as down (what decides iRprop+'s undo)."""
    return np.random.default_rng(seed + 1).uniform(0.0, 1.0, size=(steps, *lead))


def run(opt: Any, start: np.ndarray, grads: np.ndarray, losses: np.ndarray | None = None) -> list[np.ndarray]:
    params, state = start, opt.init(start)
    out = []
    for t, g in enumerate(grads):
        params, state = opt.step(params, g, state, loss=None if losses is None else losses[t])
        out.append(params)
    return out


seeds = st.integers(0, 2**32 - 1)
shapes = st.sampled_from([(2,), (3, 2), (2, 2, 3)])
lrs = st.floats(1e-4, 1.0)
fractions = st.floats(0.0, 1.0)
below_one = st.sampled_from([0.0, 0.5, 0.9, 0.99, 0.9999]) | st.floats(0.0, 0.9999)


# -- bounds --------------------------------------------------------------------------------------------


@PROPERTY
@given(lr=lrs, beta=below_one, eps=st.floats(1e-12, 1.0), weight_decay=st.just(0.0) | fractions,
       seed=seeds, shape=shapes, zeros=st.sampled_from([0.0, 0.3]))
def test_rmsprop_step_never_exceeds_lr_over_sqrt_one_minus_beta(
    lr: float, beta: float, eps: float, weight_decay: float, seed: int, shape: tuple[int, ...], zeros: float
) -> None:
    # v_t ≥ (1 − β) g_t², so |γ g_t / (sqrt(v_t) + ε)| ≤ γ / sqrt(1 − β). The slack covers rounding of the
    # bound (1e-12 relative) and of θ + Δθ (one spacing of the larger of the two iterates).
    opt = RMSProp(lr=lr, beta=beta, eps=eps, weight_decay=weight_decay)
    bound = lr / math.sqrt(1 - beta) * (1 + 1e-12)
    params = np.random.default_rng(seed).standard_normal(shape)
    state = opt.init(params)
    for g in stream(seed, shape, 40, zeros=zeros):
        new, state = opt.step(params, g, state)
        slack = np.spacing(np.maximum(np.abs(params), np.abs(new)))
        assert np.all(np.abs(new - params) <= bound + slack)
        params = new


@pytest.mark.parametrize("beta", [0.0, 0.5, 0.9, 0.99, 0.999])
def test_rmsprop_first_step_reaches_the_bound(beta: float) -> None:
    # From v = 0 the first step is γ|g| / (sqrt(1 − β)|g| + ε): the bound above, up to ε/|g|. So the bound
    # is tight, and a wrong (1 − β) or a missing square root would show here.
    opt = RMSProp(lr=0.01, beta=beta, eps=1e-8)
    params = np.zeros(2)
    new, _ = opt.step(params, np.array([1e3, -1e3]), opt.init(params))
    np.testing.assert_allclose(np.abs(new), 0.01 * 1e3 / (math.sqrt(1 - beta) * 1e3 + 1e-8), rtol=1e-14)
    np.testing.assert_allclose(np.abs(new), 0.01 / math.sqrt(1 - beta), rtol=1e-9)


@pytest.mark.parametrize("beta", [0.5, 0.9, 0.99])
def test_centered_rmsprop_is_not_under_that_bound(beta: float) -> None:
    # Centered divides by sqrt(v − m²): after one step v − m² = β(1 − β)g², so the first step is
    # γ / sqrt(β(1 − β)), above γ / sqrt(1 − β) for every β < 1. (rmsprop.py's docstring states the bound
    # for "without momentum" only; it needs "and not centered" too.)
    opt = RMSProp(lr=0.01, beta=beta, eps=1e-8, centered=True)
    new, _ = opt.step(np.zeros(1), np.array([1e3]), opt.init(np.zeros(1)))
    np.testing.assert_allclose(np.abs(new), 0.01 / math.sqrt(beta * (1 - beta)), rtol=1e-9)
    assert np.abs(new) > 0.01 / math.sqrt(1 - beta)


@st.composite
def rprop_kwargs(draw: st.DrawFn, variant: str | None = None) -> dict[str, Any]:
    lo, hi = sorted([draw(st.just(0.0) | st.floats(1e-8, 1.0)), draw(st.floats(1e-6, 100.0))])
    return {
        "lr": draw(st.floats(1e-8, 1e3)),  # often outside [step_min, step_max]
        "eta_minus": draw(st.floats(0.01, 0.99)),
        "eta_plus": draw(st.floats(1.01, 3.0)),
        "step_min": lo,
        "step_max": max(hi, 1e-6),
        "variant": variant or draw(st.sampled_from(VARIANTS)),
    }


@PROPERTY
@given(kwargs=rprop_kwargs(), seed=seeds, shape=shapes, flip=st.sampled_from([0.0, 0.5, 1.0]))
def test_rprop_step_sizes_stay_within_step_min_and_step_max(
    kwargs: dict[str, Any], seed: int, shape: tuple[int, ...], flip: float
) -> None:
    opt = RProp(**kwargs)
    params = np.zeros(shape)
    state = opt.init(params)
    losses = losses_for(seed, shape[:-1], 40)
    for t, g in enumerate(stream(seed, shape, 40, flip=flip)):
        new, state = opt.step(params, g, state, loss=losses[t])
        assert np.all(state.step_sizes >= kwargs["step_min"])
        assert np.all(state.step_sizes <= kwargs["step_max"])
        # A move is ±Δ, 0, or the undo of the previous move, which was itself ±Δ: never beyond step_max.
        assert np.all(np.abs(new - params) <= kwargs["step_max"] + np.spacing(np.abs(new)))
        params = new


# -- zero gradients ------------------------------------------------------------------------------------

ZERO_GRADIENT_CASES = [
    # (optimizer, does a zero gradient move the params after a nonzero history?)
    (SGD(lr=0.1), False),
    (SGD(lr=0.1, momentum=0.9), True),  # the velocity carries on
    (SGD(lr=0.1, weight_decay=0.1), True),  # λθ is still a gradient
    (RMSProp(lr=0.1, beta=0.9), False),
    (RMSProp(lr=0.1, beta=0.0), False),
    (RMSProp(lr=0.1, beta=0.9, centered=True), False),
    (RMSProp(lr=0.1, beta=0.9, momentum=0.5), True),
    (RMSProp(lr=0.1, beta=0.9, weight_decay=0.1), True),
    # RProp moves by −sign(g)Δ, and sign(0) = 0; the + variants' undo needs a flip, g_prev·g < 0, which a
    # zero gradient cannot make.
    *[(RProp(lr=0.1, variant=v), False) for v in VARIANTS],
]


@pytest.mark.parametrize(("opt", "moves"), ZERO_GRADIENT_CASES, ids=repr)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_zero_gradient_after_a_history(opt: Any, moves: bool, seed: int) -> None:
    shape = (3, 2)
    params = np.random.default_rng(seed).standard_normal(shape)
    state = opt.init(params)
    history = stream(seed, shape, 7, zeros=0.0, flip=1.0)  # the last step flips every sign
    losses = losses_for(seed, shape[:-1], 8)
    for t, g in enumerate(history):
        params, state = opt.step(params, g, state, loss=losses[t])
    new, _ = opt.step(params, np.zeros(shape), state, loss=losses[-1] + 1.0)  # loss up: tempts iRprop+
    if moves:
        assert np.all(new != params)
    else:
        np.testing.assert_array_equal(new, params)


# -- one call for many runs ----------------------------------------------------------------------------


@st.composite
def per_run_case(draw: st.DrawFn) -> tuple[str, list[dict[str, Any]], tuple[int, ...]]:
    """An optimizer name, one scalar configuration per run (flags shared), and the runs' shape."""
    lead = draw(st.sampled_from([(3,), (2, 3)]))
    n = math.prod(lead)
    name = draw(st.sampled_from(["SGD", "RMSProp", *(f"RProp-{v}" for v in VARIANTS)]))
    if name == "SGD":
        nesterov = draw(st.booleans())
        momenta = st.floats(0.1, 0.99) if nesterov else st.just(0.0) | st.floats(0.0, 0.99)  # 0: no buffer
        configs = [{"lr": draw(lrs), "momentum": draw(momenta), "dampening": 0.0 if nesterov else draw(fractions),
                    "nesterov": nesterov, "weight_decay": draw(st.just(0.0) | fractions)} for _ in range(n)]
    elif name == "RMSProp":
        centered = draw(st.booleans())
        configs = [{"lr": draw(lrs), "beta": draw(st.floats(0.01, 0.999) if centered else below_one),
                    "eps": draw(st.floats(1e-10, 1e-2)), "momentum": draw(st.just(0.0) | st.floats(0.0, 0.99)),
                    "centered": centered, "weight_decay": draw(st.just(0.0) | fractions)} for _ in range(n)]
    else:
        variant = name.removeprefix("RProp-")
        configs = [draw(rprop_kwargs(variant)) for _ in range(n)]
    return name, configs, lead


def as_arrays(configs: list[dict[str, Any]], lead: tuple[int, ...]) -> dict[str, Any]:
    """Scalar configurations, one per run, as arrays of shape (*lead, 1); flags and variants stay scalars."""
    return {k: v if isinstance(v, (bool, str)) else np.reshape([c[k] for c in configs], (*lead, 1))
            for k, v in configs[0].items()}


@settings(max_examples=80, deadline=None)
@given(case=per_run_case(), seed=seeds)
def test_per_run_hyperparameter_arrays_equal_separate_runs(
    case: tuple[str, list[dict[str, Any]], tuple[int, ...]], seed: int
) -> None:
    name, configs, lead = case
    cls = {"SGD": SGD, "RMSProp": RMSProp}.get(name, RProp)
    start = np.random.default_rng(seed).standard_normal((*lead, 2))
    grads = stream(seed, start.shape, 30)
    losses = losses_for(seed, lead, 30)
    together = np.array(run(cls(**as_arrays(configs, lead)), start, grads, losses))
    for i, index in enumerate(np.ndindex(lead)):
        alone = run(cls(**configs[i]), start[index], grads[(slice(None), *index)], losses[(slice(None), *index)])
        np.testing.assert_array_equal(together[(slice(None), *index)], np.array(alone))


# -- purity: nothing mutated, nothing aliased ----------------------------------------------------------

PER_RUN = np.array([[0.05], [0.1], [0.2]])
PURITY_CASES = [
    ("SGD", lambda: SGD(lr=PER_RUN.copy())),
    ("SGD-momentum", lambda: SGD(lr=PER_RUN.copy(), momentum=np.array([[0.9], [0.0], [0.5]]))),
    ("SGD-nesterov-decay", lambda: SGD(lr=0.1, momentum=0.9, nesterov=True, weight_decay=PER_RUN.copy())),
    ("RMSProp", lambda: RMSProp(lr=PER_RUN.copy(), beta=np.array([[0.9], [0.0], [0.99]]))),
    ("RMSProp-all", lambda: RMSProp(lr=0.1, momentum=PER_RUN.copy(), centered=True, weight_decay=0.1)),
    *[(f"RProp-{v}", lambda v=v: RProp(lr=PER_RUN.copy(), eta_plus=1.0 + PER_RUN.copy(), variant=v))
      for v in VARIANTS],
]
PURITY_IDS = [label for label, _ in PURITY_CASES]


def inputs(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Writable float64 params, gradients (steps, 3, 2) and losses (steps, 3): what asarray would not copy."""
    rng = np.random.default_rng(seed)
    return rng.standard_normal((3, 2)), stream(seed, (3, 2), 6, flip=0.7), rng.uniform(size=(6, 3))


def snapshot(*objs: Any) -> list[np.ndarray]:
    """Copies of every array among ``objs``, with states (named tuples) flattened into their fields."""
    return [np.array(x, copy=True) for o in objs for x in (o if isinstance(o, tuple) else (o,))]


@pytest.mark.parametrize("make", [make for _, make in PURITY_CASES], ids=PURITY_IDS)
def test_step_mutates_nothing(make: Any) -> None:
    opt = make()
    hyper_before = copy.deepcopy(opt.hyperparams())
    params, grads, losses = inputs(0)
    state = opt.init(params)
    for t in range(len(grads)):
        before = snapshot(params, grads, losses, state)
        new, new_state = opt.step(params, grads[t], state, loss=losses[t])
        for was, now in zip(before, snapshot(params, grads, losses, state), strict=True):
            np.testing.assert_array_equal(now, was)
        params, state = new, new_state
    for k, v in hyper_before.items():
        np.testing.assert_array_equal(opt.hyperparams()[k], v)


def test_hyperparameter_arrays_are_copied_at_construction() -> None:
    lr = np.array([[0.1], [0.2]])
    opt, reference = SGD(lr=lr), SGD(lr=lr.copy())
    lr[:] = 99.0  # the caller reuses their array
    params, grads, _ = inputs(1)
    np.testing.assert_array_equal(run(opt, params[:2], grads[:, :2]), run(reference, params[:2], grads[:, :2]))


# Once broken: SGD's first momentum buffer was `g` itself, rprop-'s prev_grad was `g`, and every variant's
# prev_loss a view of `loss` (np.asarray does not copy float64 input); the state now holds copies.
@pytest.mark.parametrize("make", [make for _, make in PURITY_CASES], ids=PURITY_IDS)
def test_step_returns_arrays_that_share_no_memory_with_its_inputs(make: Any) -> None:
    # Results that alias params, grads or loss change when the caller refills those buffers in place.
    # (Passing an unused state field through unchanged is fine: states are values, never mutated.)
    opt = make()
    params, grads, losses = inputs(2)
    state = opt.init(params)
    for t in range(len(grads)):
        new, state = opt.step(params, grads[t], state, loss=losses[t])
        for out in (new, *state):
            for arg in (params, grads[t], losses[t]):
                assert not np.shares_memory(out, arg)
        params = new


@pytest.mark.parametrize("make", [make for _, make in PURITY_CASES], ids=PURITY_IDS)
def test_refilling_gradient_and_loss_buffers_in_place_changes_nothing(make: Any) -> None:
    # What an engine with preallocated buffers does; torch copies what it keeps, so must we.
    params, grads, losses = inputs(3)
    fresh = run(make(), params, grads, losses)
    opt = make()
    g_buf, l_buf = np.empty_like(grads[0]), np.empty_like(losses[0])
    p, state, reused = params, opt.init(params), []
    for t in range(len(grads)):
        g_buf[...], l_buf[...] = grads[t], losses[t]
        p, state = opt.step(p, g_buf, state, loss=l_buf)
        reused.append(p)
    np.testing.assert_array_equal(np.array(reused), np.array(fresh))


# -- dtypes --------------------------------------------------------------------------------------------

DTYPE_CASES = [SGD(lr=0.1, momentum=0.9), RMSProp(lr=0.1, centered=True), *(RProp(lr=0.1, variant=v) for v in VARIANTS)]


@pytest.mark.parametrize("opt", DTYPE_CASES, ids=repr)
@pytest.mark.parametrize("kind", ["float32", "int", "list"])
def test_float32_int_and_list_inputs_are_computed_in_float64(opt: Any, kind: str) -> None:
    params = np.array([[3, -2], [1, 0]])
    grads = [np.array([[1, -3], [2, 5]]), np.array([[-1, -1], [2, 0]]), np.array([[1, 2], [-2, 7]])]
    losses = [np.array([3, 2]), np.array([4, 1]), np.array([2, 2])]
    convert = {"float32": lambda a: a.astype(np.float32), "int": lambda a: a, "list": lambda a: a.tolist()}[kind]
    expected = run(opt, params.astype(float), np.array(grads, dtype=float), np.array(losses, dtype=float))
    p, state = convert(params), opt.init(convert(params))
    for t in range(3):
        p, state = opt.step(p, convert(grads[t]), state, loss=convert(losses[t]))
        assert p.dtype == np.float64
        assert all(np.asarray(s).dtype == np.float64 for s in state if isinstance(s, np.ndarray))
        np.testing.assert_array_equal(p, expected[t])


def test_float32_values_are_not_rounded_back_to_float32() -> None:
    # 0.1 in float32 is 0.100000001490116...; one SGD step with lr 1/3 must keep float64's precision.
    # A float32 computation would keep 24 significant bits; x·(2/3) needs all 53.
    p, _ = SGD(lr=1 / 3).step(np.float32([0.1]), np.float32([0.1]), SGD(lr=1 / 3).init(np.zeros(1)))
    x = float(np.float32(0.1))
    assert p[0] == exact(x, -1 / 3, x)  # θ − γ g with one rounding, as torch's fused add


# -- numpy warnings ------------------------------------------------------------------------------------

WARNING_CASES = [
    # centered with beta=0: sqrt(g² − g²) is the sqrt of a rounding error, negative for g=1.7 (NaN, as torch)
    pytest.param(RMSProp(lr=0.01, beta=0.0, centered=True), [1.7], id="RMSProp-centered-beta0"),
    # sign(g * g_prev) with 1e200 * 1e200: overflows to inf, whose sign is 1, as in torch
    pytest.param(RProp(), [1e200, 1e200], id="RProp-huge-gradients"),
    pytest.param(SGD(lr=0.1, momentum=0.9, weight_decay=0.1), [1e200, 1e300, -1e300], id="SGD-huge-gradients"),
    pytest.param(RMSProp(lr=0.1, beta=0.9), [1e200, 1e300, 0.0], id="RMSProp-huge-gradients"),
    pytest.param(RProp(), [1e-200, 1e-200, -1e-200], id="RProp-tiny-gradients"),
]


@pytest.mark.parametrize(("opt", "grads"), WARNING_CASES)
def test_no_runtime_warning_escapes(opt: Any, grads: list[float]) -> None:
    # pyproject.toml turns RuntimeWarning into an error: a numpy warning escaping the optimizers is a bug.
    params = np.array([0.5])
    state = opt.init(params)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        for g in grads:
            params, state = opt.step(params, [g], state)


# -- fma -----------------------------------------------------------------------------------------------


def scaled(lo: int, hi: int) -> st.SearchStrategy[float]:
    """Floats m·2^e with a full 53-bit mantissa m in [0.5, 1) and e in [lo, hi], either sign."""
    return st.builds(lambda m, e, s: s * math.ldexp(m, e), st.floats(0.5, 1.0, exclude_max=True),
                     st.integers(lo, hi), st.sampled_from([-1.0, 1.0]))


# Moderate exponents: products and results stay normal (numerics.py: subnormal results may be 1 ulp off).
moderate = st.floats(-10.0, 10.0).filter(lambda x: x == 0 or abs(x) > 1e-100)
factors = scaled(-150, 150) | st.sampled_from([0.0, 1.0, -1.0, 0.1, 3.0]) | moderate
addends = scaled(-300, 300) | st.just(0.0) | moderate


def exact(a: float, b: float, c: float) -> float:
    # int / int is correctly rounded in CPython, so float(Fraction) is the correctly rounded result.
    return float(Fraction(a) * Fraction(b) + Fraction(c))


@settings(max_examples=500, deadline=None)
@given(a=factors, b=factors, c=addends)
def test_fma_is_correctly_rounded(a: float, b: float, c: float) -> None:
    assert fma(a, b, c) == exact(a, b, c)


@settings(max_examples=500, deadline=None)
@given(a=factors, b=factors, ulps=st.integers(-3, 3))
def test_fma_is_correctly_rounded_under_cancellation(a: float, b: float, ulps: int) -> None:
    # c ≈ −a·b: the result is the rounding error of a·b (plus a few ulps of c), which a*b + c in numpy
    # gets entirely wrong (it returns exactly the ulps part, or 0).
    c = -(a * b)
    for _ in range(abs(ulps)):
        c = float(np.nextafter(c, math.copysign(math.inf, ulps)))
    assert fma(a, b, c) == exact(a, b, c)


@settings(max_examples=300, deadline=None)
@given(a=st.floats(1.0, 2.0, exclude_max=True), c=scaled(-100, 100), up=st.booleans())
def test_fma_is_correctly_rounded_near_half_an_ulp_of_c(a: float, c: float, up: bool) -> None:
    # a·b within a hair of half an ulp of c: rounding the two error terms together first and then adding
    # them to c rounds twice and can land on a tie that the exact value does not reach. That is the case
    # rounding to odd is there for (random floats almost never hit it).
    b = float(np.nextafter(math.ulp(c) / 2 / a, math.inf if up else 0.0))
    assert fma(a, b, c) == exact(a, b, c)


@pytest.mark.parametrize(("a", "b", "c"), [(1.4954350870919408, 7.424080350984162e-17, 1.0),
                                           (1.2187810373376886, 9.109290271288872e-17, 1.0)])
def test_fma_double_rounding_examples(a: float, b: float, c: float) -> None:
    # Found by search: here the sum without rounding to odd gives 1.0, the exact value rounds up.
    assert fma(a, b, c) == exact(a, b, c) == 1.0000000000000002


def test_fma_broadcasts_elementwise() -> None:
    a = np.array([[0.1], [1 / 3], [-7.25]])
    b = np.array([[3.0, 1e-20, -1e20, 0.7]])
    c = np.float64(0.3)
    out = fma(a, b, c)
    assert out.shape == (3, 4)
    assert out.tolist() == [[exact(x, y, 0.3) for y in b[0]] for x in a[:, 0]]


def test_fma_falls_back_to_plain_arithmetic_where_splitting_overflows() -> None:
    # Dekker's split multiplies by 2**27 + 1, which overflows beyond ~1.3e300; the docstring promises
    # the plain a*b + c there (and no numpy warning).
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        assert fma(1e301, 1e-300, 0.5) == 1e301 * 1e-300 + 0.5
        assert fma(1e300, 1e300, 1.0) == math.inf
        assert fma(-1e300, 1e300, 1.0) == -math.inf
