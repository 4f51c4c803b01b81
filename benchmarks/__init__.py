"""momentum_viz benchmarks: ``python -m benchmarks`` (``make bench``), ``--quick`` for CI.

Rows live in ``rows_*.py`` modules (engine rows in ``rows_engine``); each module registers
generator functions with ``benchmarks.core.bench``. See ``benchmarks/__main__.py``.
"""
