"""Tools shared by the tests, the benchmarks and the scripts: the app in Streamlit's AppTest
(``apptest``) and in a real browser against a real server (``browser``)."""
