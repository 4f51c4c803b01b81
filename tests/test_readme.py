"""The README stays true: its example runs and prints what it says, its links open cleanly."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from ui.params import setup_from_query

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def test_the_library_example_runs_and_prints_what_its_comments_say():
    code = re.search(r"```python\n(.*?)```", README, re.S).group(1)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md", "exec"), {})
    first, second = out.getvalue().splitlines()
    assert first == "(201, 2) 63"
    assert second == "(200, 200) 187 0.00225 0.876"


def test_the_other_python_examples_print_what_their_comments_say():
    for code in re.findall(r"```python\n(.*?)```", README, re.S)[1:]:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(code, "README.md", "exec"), {})
        printed = out.getvalue().splitlines()
        said = [line.split("# ", 1)[1] for line in code.splitlines()
                if line.startswith("print(") and "# " in line]
        for line, comment in zip(printed, said, strict=True):
            if "(" not in comment and "…" not in comment:
                assert line == comment


def test_classroom_links_parse_without_warnings():
    links = re.findall(r"`(http://localhost:8501/\?[^`]+)`", README)
    assert len(links) == 3
    for link in links:
        setup, warnings = setup_from_query(dict(parse_qsl(urlsplit(link).query)))
        assert warnings == [], (link, warnings)
    assert setup["surface"] == "custom" and setup["noise"] == 1.0
