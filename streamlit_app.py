"""Descent Lab: the entry point. Page config and navigation; every page lives in dashboard/."""

import streamlit as st

st.set_page_config(page_title="Descent Lab", page_icon="⛰️", layout="wide")
st.title("Descent Lab")
st.info("The Compare page is coming: SGD, RProp and RMSProp racing on the same noisy landscapes.")
