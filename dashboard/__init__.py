"""Everything a person sees: pages, Altair chart builders, and settings <-> widgets <-> URL.

Streamlit, Altair and pandas are used here and nowhere else; the optimizers and scenarios packages
below stay numpy-only.
"""
