"""Compare: SGD, RProp and RMSProp racing on one landscape under the same noisy gradients."""

import streamlit as st

from dashboard import compare_controls, compute
from dashboard.controls import sanitize, show_notes
from scenarios import SCENARIOS

notes = sanitize("compare", compare_controls.controls_for_query)
settings, adjusted = compare_controls.render()
scenario = SCENARIOS[settings.scenario]

st.title("Compare optimizers")
st.markdown(f"**{scenario.title}.** {scenario.story}")
show_notes(notes, adjusted)

if not settings.configs:
    st.info("Every optimizer is switched off: switch one on in the sidebar to start the race.")
    st.stop()

with st.spinner("Racing…"):
    view = compute.compare_view(settings)
for sentence in view.diverged:
    st.error(f"Diverged — {sentence} Its path ends where it left the finite numbers.", icon="💥")

st.vega_lite_chart(view.chart, width="content")
st.caption("Hover a step on the loss or step chart to mark every run's iterate at that step on the landscape. "
           "Paths are drawn thinned; every number below uses all steps.")

st.subheader("Summary")
st.dataframe(
    view.summary,
    hide_index=True,
    column_config={
        "final loss − min": st.column_config.NumberColumn(format="%.4g", help="The full loss above the "
                                                          "landscape's minimum at the last step."),
        "best loss − min": st.column_config.NumberColumn(format="%.4g"),
        "steps to reach": st.column_config.NumberColumn(format="%d", help="First step within 1 % of the "
                                                        "plot's size of a minimum: the median over the seeds "
                                                        "that got there (see 'reached')."),
        "distance to minimum": st.column_config.NumberColumn(format="%.3g"),
        "diverged at": st.column_config.NumberColumn(format="%d"),
    },
)
st.download_button("Download all runs (CSV)", data=lambda: compute.runs_csv(settings),
                   file_name=f"descent-lab-{settings.scenario}.csv", mime="text/csv",
                   help="One row per configuration, seed and step: optimizer, seed, step, x, y, loss, batch_loss. "
                        "Above 250,000 rows, every k-th step (the first and the last always).")
st.caption("The address bar is the share link: every setting above is in it.")
