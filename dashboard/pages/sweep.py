"""Sweep: every optimizer across its hyperparameter range, so comparisons are fair."""

import streamlit as st

st.title("Sweep")
st.info("The hyperparameter sweep is coming next.")
