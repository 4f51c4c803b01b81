"""momentum_viz: gradient descent with momentum, made visible. Run: `streamlit run app.py`."""

import streamlit as st

st.set_page_config(page_title="momentum_viz", page_icon="⚽", layout="wide")

pages = [
    st.Page("pages/playground.py", title="Playground", icon="🏁", default=True),
]
st.navigation(pages).run()
