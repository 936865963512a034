"""RProp → RMSProp: the tutorial's argument, live."""

import streamlit as st

st.title("From RProp to RMSProp")
st.info("The guided story is coming next: RProp's rule, the mini-batch trap, and the β dial.")
