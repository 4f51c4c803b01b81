"""momentum_viz: gradient descent with momentum, made visible. Run: `streamlit run app.py`."""

import streamlit as st

st.set_page_config(page_title="momentum_viz", page_icon=":material/sports_baseball:", layout="wide")

pages = [
    st.Page("pages/playground.py", title="Playground", icon=":material/sports_score:",
            default=True),
    st.Page("pages/tuning_lab.py", title="Tuning lab", icon=":material/grid_on:"),
    st.Page("pages/why_momentum.py", title="Why momentum works", icon=":material/functions:"),
]
st.navigation(pages).run()
