"""RProp → RMSProp: the tutorial's argument, live, top to bottom."""

import pandas as pd
import streamlit as st

from dashboard import charts, compute, frames, story, story_charts, vega
from dashboard.controls import Control, from_declaration, sanitize, show_notes
from optimizers import RMSProp, RProp
from scenarios import SCENARIOS

ETA_PLUS = from_declaration(RProp.declaration("eta_plus"), "eta_plus", "η⁺ (same sign: grow)")
ETA_MINUS = from_declaration(RProp.declaration("eta_minus"), "eta_minus", "η⁻ (sign flip: shrink)")
PULL = from_declaration(SCENARIOS["minibatch-trap"].settings[0], "pull", "pull of the rare batch")
TRAP_BETA = from_declaration(RMSProp.declaration("beta"), "rms_beta", "RMSProp β", default=0.99)
TRAP_STEPS = Control("steps", "steps", "int", 2000, "Updates per run (at most 5,000).", low=100, high=5000, step=500)
TRAP_SEEDS = Control("seeds", "seeds", "int", 8, "Independent batch orders (at most 32).", low=1, high=32)
TUT_LR = from_declaration(RMSProp.declaration("lr"), "tut_lr", "step_size (lr)")
TUT_BETA = from_declaration(RMSProp.declaration("beta"), "tut_beta", "β", default=0.99)
CONTROLS = [ETA_PLUS, ETA_MINUS, PULL, TRAP_BETA, TRAP_STEPS, TRAP_SEEDS, TUT_LR, TUT_BETA]

# Every chart is built once per setting (its spec cached), so an unchanged section costs nothing on a rerun.
cached = st.cache_data(max_entries=32, show_spinner=False)


@cached
def clean_signal_spec(eta_minus: float, eta_plus: float) -> dict:
    return vega.template(story_charts.clean_signal_chart(story.clean_signal(eta_minus=eta_minus, eta_plus=eta_plus)))


@cached
def trap_view(settings: story.TrapSettings) -> tuple[dict, dict, pd.DataFrame]:
    race = story.trap_race(settings)
    bars = vega.template(story_charts.batch_gradient_chart(story.batch_gradients(settings.pull)))
    drift = vega.template(story_charts.drift_chart(story.epoch_positions(race), race.labels, -settings.pull / 9))
    return bars, drift, story.settled(race)


@cached
def dial_spec(pull: float, steps: int, seeds: int) -> dict:
    dial = story.beta_dial(pull=pull, steps=steps, seeds=seeds)
    return vega.template(story_charts.beta_dial_chart(dial, ("SGD", "RProp", "RMSProp")))


@cached
def tutorial_view(lr: float, beta: float) -> tuple[dict, str]:
    race = story.tutorial_run(lr=lr, beta=beta)
    heatmap, contours = compute.landscape_frames("bowl")
    chart = charts.landscape_chart(SCENARIOS["bowl"], heatmap, contours, frames.path_frame(race),
                                   story.TUTORIAL_START, race.labels, size=300)
    return vega.template(charts.standalone(chart)), story.tutorial_table(race)


@cached
def ravine_spec() -> dict:
    race = story.ravine_damping()
    ravine = SCENARIOS["ravine"]
    heatmap, contours = compute.landscape_frames("ravine")
    chart = charts.landscape_chart(ravine, heatmap, contours, frames.path_frame(race), ravine.start, race.labels,
                                   size=300)
    return vega.template(charts.standalone(chart))


notes = sanitize("story", lambda raw: CONTROLS)
st.title("From RProp to RMSProp")
show_notes(notes)
st.markdown(
    "A tutorial on RMSProp makes one argument: **RProp** adapts a step size per weight from gradient *signs* "
    "and therefore breaks on mini-batches; **RMSProp** keeps the per-weight adaptivity but *averages*, and "
    "holds. Every chart on this page is computed live by the same engine as the Compare page; change a "
    "setting and it reruns."
)

# -- 1. RProp's rule -------------------------------------------------------------------------------------
st.header("1. RProp: a step size per weight, from signs")
left, right = st.columns([1, 1])
left.markdown(
    "RProp (resilient propagation, Riedmiller & Braun 1993) compares the signs of a weight's last two "
    "gradients. Same sign: we are still going downhill, so the step grows by η⁺ (between 1 and 2, usually "
    "1.2), up to a maximum. Opposite signs: we jumped over a minimum, so the step shrinks by η⁻ (usually "
    "0.5), down to a minimum. The weight then moves by the step, against the gradient's sign — the "
    "gradient's *size* is never used."
)
right.code(
    "for t in range(n_iter):\n"
    "    if g[t-1] * g[t] > 0:\n"
    "        step = min(step * eta_plus, step_max)\n"
    "    elif g[t-1] * g[t] < 0:\n"
    "        step = max(step * eta_minus, step_min)\n"
    "    w[t] = w[t-1] - sign(g[t]) * step",
    language="python",
)
c1, c2 = st.columns(2)
eta_plus = ETA_PLUS.render(c1)
eta_minus = ETA_MINUS.render(c2)
st.vega_lite_chart(clean_signal_spec(eta_minus, eta_plus), width="content")
st.caption("One weight of the bowl x² + y², no noise, started at −0.9 with a step of 0.01. The step grows "
           "geometrically until the weight overshoots 0, then halves on every overshoot (PyTorch's variant, "
           "iRprop−, also skips the step right after a flip: the zeros missing from the log plot).")

# -- 2. The mini-batch trap -------------------------------------------------------------------------------
st.header("2. Why RProp breaks on mini-batches")
st.markdown(
    "Mini-batch SGD relies on averaging: with a small learning rate, the updates over consecutive batches "
    "add up to the average gradient. RProp does not average. The tutorial's example: a weight sees a "
    "gradient of +0.1 on nine mini-batches and −0.9 on the tenth. They cancel, so the weight should stay "
    "put — but RProp moves it nine times one way and once the other, so it drifts. Here it is with ten "
    "batch losses `ℓᵢ(w) = ½w² − aᵢw` (the scenario *minibatch-trap*, in two dimensions), whose mean is "
    "minimised at 0."
)
c1, c2, c3, c4 = st.columns(4)
pull = PULL.render(c1)
rms_beta = TRAP_BETA.render(c2)
steps = TRAP_STEPS.render(c3)
seeds = TRAP_SEEDS.render(c4)
settings = story.TrapSettings(pull=pull, steps=int(steps), seeds=int(seeds), rms_beta=rms_beta)
with st.spinner("Racing…"):
    bars, drift, where = trap_view(settings)
left, right = st.columns([1, 2])
left.vega_lite_chart(bars, width="content")
right.vega_lite_chart(drift, width="content")
st.dataframe(where.rename(columns={"x": "settled x", "y": "settled y", "distance": "distance from the minimum"}),
             hide_index=True, column_config={c: st.column_config.NumberColumn(format="%.4f")
                                             for c in ("settled x", "settled y", "distance from the minimum")})
settled_x = dict(zip(where["config"], where["x"], strict=True))
st.markdown(
    f"RProp settles at x ≈ {settled_x['RProp']:.3f}: the point where nine batches in ten push one way and one "
    f"pushes the other — the **median** of the batch minimisers ({-pull / 9:.3f}), not their mean (0). SGD "
    f"(lr 0.05) settles at {settled_x['SGD']:.3f} and RMSProp (lr 0.01, β {rms_beta:g}) at "
    f"{settled_x['RMSProp']:.3f}: averaging, they follow the mean. Every optimizer saw the same batches in the "
    "same order on each seed."
)

# -- 3. RMSProp and the β dial -------------------------------------------------------------------------------
st.header("3. RMSProp: keep the adaptivity, average the gradients")
st.markdown("RMSProp (Hinton, lecture 6e) divides each weight's gradient by a moving average of its recent "
            "squared gradients:")
st.latex(r"v_t = \beta\, v_{t-1} + (1-\beta)\, g_t^2 \qquad "
         r"w_t = w_{t-1} - \frac{\mathrm{lr}}{\sqrt{v_t} + \epsilon}\, g_t")
st.markdown(
    "β sets the memory: the average weighs the last ≈ 1/(1 − β) squared gradients (β = 0.9: about 10; "
    "β = 0.99: about 100). A weight whose recent gradients were large takes small steps, which damps "
    "oscillation. With β = 0 the average is just g², the step is lr · sign(g) and RMSProp *is* sign descent, "
    "like RProp; as β grows, the denominator stops reacting to each batch and the steps add up like SGD's. "
    "The dial below runs RMSProp on the trap for ten values of β at once (one engine call) against SGD and "
    "RProp."
)
with st.spinner("Turning the dial…"):
    st.vega_lite_chart(dial_spec(pull, int(steps), int(seeds)), width="content")
st.caption("Each point: RMSProp (lr 0.01) on the trap, its weight averaged over the last half of the run and "
           "over seeds. Dashed: SGD (lr 0.05) and RProp (defaults) on the same batches.")

# -- 4. The tutorial's example ------------------------------------------------------------------------------
st.header("4. The tutorial's example, corrected")
st.markdown("The tutorial minimises `f(x, y) = x² + y²` on [−1, 1]² with RMSProp from a random start "
            "(`numpy.random.seed(1)` gives (−0.16595599, 0.44064899)), step_size 0.01, β 0.99, ε 1e-8, "
            "for 50 iterations.")
c1, c2 = st.columns(2)
tut_lr = TUT_LR.render(c1)
tut_beta = TUT_BETA.render(c2)
bowl_spec, table = tutorial_view(tut_lr, tut_beta)
left, right = st.columns([2, 3])
left.vega_lite_chart(bowl_spec, width="content")
right.code(table, language=None, height=420)
st.markdown(
    "These are the values `torch.optim.RMSprop(lr=0.01, alpha=0.99, eps=1e-8)` gives from the same start. "
    "The table printed in the original tutorial differs because of an index slip: its update reads "
    "`current_solution_point[i]`, a leftover loop variable, instead of `[j]`, so both coordinates start "
    "every step from the second one's value (its first row, `(0.54064896, 0.340649)`, `f = 0.40834`, is "
    "what the slip produces)."
)

# -- 5. The summary, backed ----------------------------------------------------------------------------------
st.header("5. The tutorial's four points, checked")
left, right = st.columns([2, 3])
left.vega_lite_chart(ravine_spec(), width="content")
right.markdown(
    "1. **RMSProp is an adaptive learning-rate method** — each weight's step is lr / (√v + ε) times its "
    "gradient, so on the ravine (left) the flat and the steep coordinate move at the same pace although "
    "their curvatures differ fiftyfold. (The Compare page plots every step taken.)\n"
    "2. **It damps oscillation and reaches the minimum faster** — on the ravine (left), SGD at a learning rate "
    "near its stability limit (0.18 < 2/10) zig-zags across the steep axis and crawls along the flat one; "
    "RMSProp's per-weight scaling takes even steps along both. (With a constant lr it ends in a small "
    "oscillation of size ≈ lr, and on the *rotated* ravine its advantage fades: try it on Compare.)\n"
    "3. **It acts as a moving-average filter over past gradients** — β sets how many: the dial in section 3.\n"
    "4. **It fixes RProp's mini-batch problem** — section 2: RProp settles at the batches' median, RMSProp "
    "near the true minimum, closer as β grows."
)
