"""Developer scripts: the load tests, the local cluster, screenshots (run with ``python -m``)."""
