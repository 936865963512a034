"""Streamlit's floor on this machine: a title and three small Altair charts, nothing else.

benchmarks/load.py drives this app with the same sessions as the dashboard, so the two figures side by
side tell how much of a rerun is the dashboard's own work and how much is Streamlit's. Keep it trivial:
no caching, no widgets, no pages; the data is fixed so every rerun sends the same bytes.
"""

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

st.set_page_config(page_title="Trivial benchmark app", layout="wide")
st.title("Trivial benchmark app")

x = np.arange(50)
data = pd.DataFrame({"x": x, "y": np.sin(x / 5.0), "z": np.cos(x / 7.0), "group": np.where(x % 2 == 0, "even", "odd")})

left, middle, right = st.columns(3)
left.altair_chart(alt.Chart(data).mark_line().encode(x="x", y="y"))
middle.altair_chart(alt.Chart(data).mark_bar().encode(x="group", y="mean(z)"))
right.altair_chart(alt.Chart(data).mark_point().encode(x="y", y="z", color="group"))
