"""The app's layer between Streamlit and the engine: the parameter table, the page life cycle,
the shared controls and cached computations, and each page's own logic. Page scripts in
``pages/`` only lay these out.

Importing this package imports what Streamlit and plotly would otherwise import lazily during
the pages' first runs (pandas, pyarrow). Every script thread imports ``ui`` before it draws
anything, and Python lets one thread run a package's first import while the others wait, so
no page's run finds pandas half imported: plotly peeks into ``sys.modules`` for pandas when it
validates a figure, and on a fresh server one session's ``st.table`` importing pandas made
another session's chart fail with "partially initialized module 'pandas'"."""

import pandas  # noqa: F401
import pyarrow
import pyarrow.pandas_compat  # noqa: F401
