"""A fresh server's first runs: the modules Streamlit and plotly import lazily are imported with
the ``ui`` package, once, before any page draws (a class opening a fresh server together hit
"partially initialized module 'pandas'"; `make load` opens a cold server with 30 sessions)."""

from __future__ import annotations

import subprocess
import sys

from scripts.cluster import ROOT

LAZY = ("pandas", "pyarrow")

_PROBE = """
import sys
import streamlit
before = {m for m in sys.modules if m.split(".")[0] in LAZY}
import ui
with_ui = {m for m in sys.modules if m.split(".")[0] in LAZY}
from streamlit.testing.v1 import AppTest
at = AppTest.from_file("app.py", default_timeout=120).run()
for page in ("pages/tuning_lab.py", "pages/why_momentum.py"):
    at.switch_page(page).run()
assert not at.exception, [e.message for e in at.exception]
after = {m for m in sys.modules if m.split(".")[0] in LAZY}
print(sorted(before), "|", sorted({m.split(".")[0] for m in with_ui}), "|",
      sorted(m for m in after - with_ui if "." not in m or m.startswith("pandas.")))
"""


def test_pages_import_nothing_lazily_that_ui_does_not_import_first():
    result = subprocess.run([sys.executable, "-c", f"LAZY = {LAZY!r}\n{_PROBE}"], cwd=ROOT,
                            capture_output=True, text=True, timeout=600, check=True)
    before, with_ui, during_runs = (part.strip() for part in
                                    result.stdout.strip().splitlines()[-1].split("|"))
    assert before == "[]"  # what the server has before the first run: neither
    assert with_ui == str(sorted(LAZY))
    # the pages' runs imported neither package nor any pandas module (plotly and narwhals peek
    # at sys.modules["pandas"]; a pyarrow submodule imported later is no such risk)
    assert during_runs == "[]"
