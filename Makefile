# momentum_viz: `make run` serves the app, `make test` runs every check, `make bench` measures.
VENV ?= .venv
PY := $(VENV)/bin/python
PYTHON3 ?= python3

.PHONY: run test lint bench bench-quick load load-cluster screenshots clean

$(VENV)/.runtime-installed: requirements.txt
	test -x $(PY) || $(PYTHON3) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements-dev.txt $(VENV)/.runtime-installed
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

# Serves on $STREAMLIT_SERVER_PORT when set (Streamlit reads it), else 8501.
run: $(VENV)/.runtime-installed
	$(VENV)/bin/streamlit run app.py

lint: $(VENV)/.dev-installed
	$(VENV)/bin/ruff check .

test: $(VENV)/.dev-installed
	CHROMIUM_PATH="$$(PYTHON=$(PY) ./scripts/ensure-chromium.sh)" && export CHROMIUM_PATH && \
	$(VENV)/bin/ruff check . && \
	$(PY) -m pytest

# A class at once against one server process (RELIABILITY.md): 30 sessions, ~8 minutes.
# Not part of `make test`; writes test-artifacts/load/report.json, fails on any error.
load: $(VENV)/.dev-installed
	$(PY) -m scripts.load_test

# The same through HAProxy in front of 1, then 2 local replicas (deploy/ has the compose
# version): 6–8 minutes. HAProxy is installed from Debian's package if missing.
load-cluster: $(VENV)/.dev-installed
	HAPROXY="$$(./scripts/ensure-haproxy.sh)" $(PY) -m scripts.load_cluster

# The browser rows need Chromium, found (or installed) as for `make test`.
bench: $(VENV)/.dev-installed
	CHROMIUM_PATH="$$(PYTHON=$(PY) ./scripts/ensure-chromium.sh)" $(PY) -m benchmarks

bench-quick: $(VENV)/.dev-installed
	CHROMIUM_PATH="$$(PYTHON=$(PY) ./scripts/ensure-chromium.sh)" $(PY) -m benchmarks --quick

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis test-artifacts

screenshots: $(VENV)/.dev-installed
	CHROMIUM_PATH="$$(PYTHON=$(PY) ./scripts/ensure-chromium.sh)" $(PY) scripts/screenshots.py
