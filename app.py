"""momentum_viz: gradient descent with momentum, made visible. Run: `streamlit run app.py`."""

import streamlit as st

from ui import session

# each page titles its browser tab itself (session.begin_page)
st.set_page_config(page_icon=":material/sports_baseball:", layout="wide")
session.navigation().run()
