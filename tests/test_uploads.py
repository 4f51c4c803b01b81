"""A visitor's CSV: the malformed-file corpus, each refused with its message; good files in
their usual shapes; the models' own checks; and the upload in the page (AppTest): the surface
it makes, a refused file keeping the previous data, the link that cannot carry it."""

from __future__ import annotations

import numpy as np
import pytest
from stage_spec import current, stage_of

import momentum_viz as mv
from testkit.apptest import no_exception, open_page, text_of
from ui import uploads
from ui.uploads import CsvError, build, parse_csv


def rows(n: int, y=lambda i: 0.5 * i + 1) -> bytes:
    return "".join(f"{i},{y(i)}\n" for i in range(n)).encode()


MALFORMED: dict[str, tuple[bytes, str]] = {
    "three columns": (b"x,y,z\n1,2,3\n4,5,6\n", "line 1 has 3 columns; the file needs exactly "
                                                "two, x and y, separated by a comma"),
    "one column": (b"x\n1\n2\n3\n", "line 1 has 1 column; the file needs exactly two"),
    "a ragged row": (b"x,y\n1,2\n3,4,5\n", "line 3 has 3 columns"),
    "semicolons": (b"1;2\n3;4\n", "line 1 has 1 column"),
    "text in y": (b"x,y\n1,2\n3,abc\n", "line 3: y = “abc” is not a number"),
    "an empty cell": (b"x,y\n1,2\n3,\n", "line 3: y = “(empty)” is not a number"),
    "NaN": (b"x,y\n1,2\nnan,4\n", "line 3: x = nan is not a finite number (no NaN or infinity)"),
    "infinity": (b"1,2\n3,inf\n", "line 2: y = inf is not a finite number"),
    "an overflow": (b"1,2\n3,1e400\n", "line 2: y = 1e400 is not a finite number"),
    "one row": (b"x,y\n1,2\n", "it has 1 data row; at least 2 are needed"),
    "a header only": (b"x,y\n", "it has 0 data rows; at least 2 are needed"),
    "empty": (b"", "it has 0 data rows"),
    "blank lines only": (b"\n\n  \n", "it has 0 data rows"),
    "too many rows": (rows(100_001), "it has 100,001 data rows; at most 100,000 are accepted"),
    "too large": (b"1,2\n" * 1_400_000, "the file is 5.3 MB; at most 5 MB is accepted"),
    "binary": (b"\x89PNG\r\n\x1a\n\x00\xff\xfe", "the file is not text (UTF-8)"),
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_each_malformed_file_is_refused_with_its_message(name):
    content, message = MALFORMED[name]
    with pytest.raises(CsvError) as refused:
        parse_csv(content)
    assert message in str(refused.value), str(refused.value)


@pytest.mark.parametrize("content", [
    b"x,y\n0,1\n1,3\n2,5\n",            # a header
    b"0,1\n1,3\n2,5\n",                 # none
    b"\xef\xbb\xbfx,y\r\n0,1\r\n1,3\r\n2,5\r\n",  # Excel's UTF-8 with BOM and CRLF
    b"w, b\n 0 , 1\n\n1,3\n2,  5\n\n",  # spaces, blank lines
    b'"x","y"\n"0","1"\n1,3\n2,5e0\n',  # quoted
])
def test_good_files_in_their_usual_shapes(content):
    upload = parse_csv(content, "points.csv")
    np.testing.assert_array_equal(upload.x, [0, 1, 2])
    np.testing.assert_array_equal(upload.y, [1, 3, 5])
    assert upload.n == 3 and upload.name == "points.csv"
    assert upload.digest == parse_csv(b"0,1\n1,3\n2,5\n").digest


def test_the_largest_accepted_file():
    upload = parse_csv(rows(100_000))
    assert upload.n == 100_000 and upload.x[-1] == 99_999


def test_linear_regression_of_an_upload_is_least_squares():
    x = np.linspace(-2, 3, 40)
    y = 0.7 * x - 0.2 + np.sin(7 * x) / 5
    upload = parse_csv("".join(f"{float(a)!r},{float(b)!r}\n"
                               for a, b in zip(x, y, strict=True)).encode())
    surface = build("linreg-csv", upload)
    w, b = np.linalg.lstsq(np.stack([x, np.ones_like(x)], axis=1), y, rcond=None)[0]
    assert surface.minima[0] == pytest.approx((w, b), abs=1e-9)
    assert surface.data.n == 40 and surface.id == "linreg-csv"


@pytest.mark.parametrize(("content", "message"), [
    (b"0,0\n1,1\n2,2.5\n3,1\n", "logistic regression needs labels y of 0 or 1, and 1 row has "
                                "another value (the first: y = 2.5)"),
    (b"0,0\n1,-1\n2,2\n3,1\n", "and 2 rows have another value (the first: y = -1)"),
    (b"0,0\n1,0\n2,1\n3,1\n", "the classes are separable by x alone"),
    (b"1,0\n1,1\n1,0\n1,1\n", "x is constant"),
])
def test_logistic_regression_checks_its_labels(content, message):
    with pytest.raises(CsvError) as refused:
        build("logreg-csv", parse_csv(content))
    assert message in str(refused.value)


# -- in the page ---------------------------------------------------------------------------------
def upload(at, name: str, content: bytes):
    at.file_uploader(key="csv_file").set_value((name, content, "text/csv"))
    return at.run()


GOOD = b"x,y\n" + "".join(f"{i / 10},{0.4 * i / 10 + 2 + (-1) ** i * 0.3}\n"
                          for i in range(60)).encode()
LABELS = b"x,y\n" + "".join(f"{i / 10},{int((i * 7) % 10 < i / 6)}\n"
                            for i in range(60)).encode()


def test_an_uploaded_csv_becomes_the_surface_with_its_suggestions():
    at = open_page(surface="linreg-csv")
    no_exception(at)
    assert "no CSV has been uploaded in this session" in text_of(at)
    at = upload(at, "line.csv", GOOD)
    no_exception(at)
    surface = build("linreg-csv", parse_csv(GOOD, "line.csv"))
    setup = at.session_state["setup"]  # the setup, which the stage's β and lr sliders show
    assert (setup["lr"], setup["beta"]) == (surface.lr, surface.beta)
    assert (setup["x0"], setup["y0"]) == surface.start
    data = stage_of(at)
    assert current(data, "lr") == surface.lr and current(data, "beta") == surface.beta
    assert at.query_params["lr"] == f"{surface.lr:.10g}"
    assert "Data: line.csv, 60 points." in text_of(at)
    assert not at.error
    assert at.query_params["surface"] == "linreg-csv"
    # the link names the surface and the settings, never the data
    assert set(at.query_params) <= {"surface", "lr", "beta", "steps", "x0", "y0", "opt",
                                    "noise", "seed"}


def test_a_bad_csv_is_refused_by_name_and_the_previous_data_kept():
    at = upload(open_page(surface="linreg-csv"), "line.csv", GOOD)
    lr = at.session_state["setup"]["lr"]
    at = upload(at, "broken.csv", b"x,y\n1,2\n3,oops\n")
    no_exception(at)
    assert [e.value for e in at.error] == [
        "broken.csv can't be used: line 3: y = “oops” is not a number. Still using line.csv."]
    assert at.session_state["setup"]["lr"] == lr and "Data: line.csv, 60 points." in text_of(at)
    assert at.session_state[uploads.DATA].name == "line.csv"


def test_logistic_on_an_upload_whose_labels_are_not_0_or_1_says_so():
    at = upload(open_page(surface="linreg-csv"), "line.csv", GOOD)
    at.selectbox(key="surface").set_value("logreg-csv")
    at = at.run()
    no_exception(at)
    assert any("logistic regression needs labels y of 0 or 1" in e.value
               and "Still showing" in e.value for e in at.error)
    at = upload(at, "labels.csv", LABELS)
    no_exception(at)
    assert not at.error
    surface = build("logreg-csv", parse_csv(LABELS))
    assert at.session_state["setup"]["lr"] == surface.lr


def test_minibatches_on_an_upload_fit_its_size():
    at = open_page(surface="linreg-csv", batch_size="50", seeds="5")
    no_exception(at)  # no data in this session: another surface shows, without minibatches
    assert "no CSV has been uploaded in this session" in text_of(at)
    at = upload(at, "line.csv", GOOD)
    no_exception(at)
    assert at.session_state["batch_size"] == 50
    at.number_input(key="batch_size").set_value(61)
    at = at.run()
    assert "Batch size B = 61 refused: this data set has 60 points. Keeping 50." in text_of(at)
    assert at.session_state["batch_size"] == 50
    small = b"x,y\n" + b"".join(b"%d,%d\n" % (i, i % 3) for i in range(20))
    at = upload(at, "small.csv", small)
    assert "Batch size B = 50 is more than the 20 data points; B is now 20." in text_of(at)
    assert at.session_state["batch_size"] == 20 and at.session_state["setup"]["batch_size"] == 20


def test_a_linked_batch_larger_than_the_upload_uses_the_full_gradient_and_says_so():
    at = upload(open_page(surface="linreg-csv"), "line.csv", GOOD)
    at.checkbox(key="minibatch").check()
    at = at.run()
    assert at.session_state["setup"]["batch_size"] == 32
    at.query_params["batch_size"] = "61"  # Back to an address of a larger data set's view
    at = at.run()
    no_exception(at)
    assert at.session_state["setup"]["batch_size"] == 61
    assert ("Batch size B = 61 is more than the 60 points of this data set: the runs use the "
            "full gradient.") in text_of(at)
    small = b"x,y\n" + b"".join(b"%d,%d\n" % (i, i % 3) for i in range(20))
    at = upload(at, "small.csv", small)
    at.checkbox(key="minibatch").uncheck()
    at = at.run()
    at.checkbox(key="minibatch").check()  # switched on again: the default 32 > 20 points
    at = at.run()
    no_exception(at)
    assert at.session_state["setup"]["batch_size"] == 20


@pytest.mark.parametrize("surface_id", mv.DATA_SURFACE_IDS)
def test_built_in_data_sets_from_the_url_and_the_picker(surface_id):
    at = open_page(surface=surface_id)
    no_exception(at)
    surface = mv.get_surface(surface_id)
    assert at.selectbox(key="surface").value == surface_id
    assert at.session_state["setup"]["lr"] == surface.lr
    at = open_page()
    at.selectbox(key="surface").set_value(surface_id)
    at = at.run()
    no_exception(at)
    assert at.query_params["surface"] == surface_id
    setup = at.session_state["setup"]
    assert (setup["lr"], setup["beta"], (setup["x0"], setup["y0"])) == \
        (surface.lr, surface.beta, surface.start)
    assert current(stage_of(at), "lr") == surface.lr
