"""Descent Lab: the entry point. Page config and navigation; every page lives in dashboard/pages/."""

import streamlit as st

st.set_page_config(page_title="Descent Lab", page_icon="⛰️", layout="wide")
page = st.navigation([
    st.Page("dashboard/pages/compare.py", title="Compare", icon="🏁", url_path="", default=True),
    st.Page("dashboard/pages/story.py", title="RProp → RMSProp", icon="📖", url_path="story"),
    st.Page("dashboard/pages/sweep.py", title="Sweep", icon="🗺️", url_path="sweep"),
])
page.run()
