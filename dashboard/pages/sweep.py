"""Sweep: every optimizer across its hyperparameter range, so a comparison is fair."""

import pandas as pd
import streamlit as st

from dashboard import sweep, sweep_controls, vega
from dashboard.controls import sanitize, show_notes


@st.cache_data(max_entries=24, show_spinner=False)
def family_cells(settings: sweep.SweepSettings, family: str) -> pd.DataFrame:
    return sweep.run_family(settings, family)


@st.cache_data(max_entries=16, show_spinner=False)
def sweep_view(settings: sweep.SweepSettings) -> tuple[dict, pd.DataFrame]:
    """The heatmaps' spec and the best-of table, keyed on the settings alone (the cells come from cache)."""
    cells = pd.concat([family_cells(settings, f) for f in settings.families], ignore_index=True)
    best = sweep.best_rows(cells)
    return vega.template(sweep.chart(settings, cells, best)), sweep.best_table(settings, cells, best)


notes = sanitize("sweep", sweep_controls.controls_for_query)
settings, adjusted = sweep_controls.render()
st.title("Sweep: each optimizer at its best")
st.markdown(
    "Comparing optimizers at one shared learning rate is unfair: each has its own best range. Here every "
    "optimizer runs over a whole grid — learning rate against one other hyperparameter — on the same "
    "noisy gradients, and the colour shows how far above the minimum each cell ended (median over seeds). "
    "Each optimizer's grid is one call of the vectorised engine."
)
show_notes(notes, adjusted)
if not settings.families:
    st.info("Every optimizer is switched off: switch one on in the sidebar.")
    st.stop()

# Progress between the optimizers' engine calls (an element may not be touched from inside a cached
# function, so the bar moves per optimizer, not per step).
bar = st.progress(0.0)
for i, family in enumerate(settings.families):
    bar.progress(i / len(settings.families), text=f"Sweeping {family} ({i + 1} of {len(settings.families)})…")
    family_cells(settings, family)
bar.empty()
spec, best = sweep_view(settings)
st.vega_lite_chart(spec, width="content")
st.caption("White ring: the best cell of each optimizer. Black: cells where at least half the seeds diverged. "
           "β and momentum are spread evenly in 1 − value, so 0.9, 0.99 and 0.999 get equal room.")

st.subheader("Best of each")
if best.empty:
    st.warning("Every cell diverged: try smaller learning rates.")
else:
    st.dataframe(best, hide_index=True, column_config={
        "learning rate": st.column_config.NumberColumn(format="%.3g"),
        "loss − minimum": st.column_config.NumberColumn(format="%.3e"),
        "open": st.column_config.LinkColumn("Compare page", display_text="open in Compare"),
    })
