"""momentum_viz: gradient descent with momentum, made visible. Run: `streamlit run app.py`."""

import streamlit as st

from ui import session

st.set_page_config(page_title="momentum_viz", page_icon=":material/sports_baseball:", layout="wide")
session.navigation().run()
