"""momentum_viz: gradient descent with momentum, made visible. Run: `streamlit run app.py`."""

from pathlib import Path

import streamlit as st

from ui import session

# each page titles its browser tab itself (session.begin_page); the icon is served by the app
# itself, so that it shows offline too
st.set_page_config(page_icon=str(Path(__file__).parent / "assets" / "favicon.png"), layout="wide")
session.navigation().run()
