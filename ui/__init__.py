"""The app's layer between Streamlit and the engine: the parameter table, the page life cycle,
the shared controls and cached computations, and each page's own logic. Page scripts in
``pages/`` only lay these out."""
