# Two commands set up everything on a fresh machine (see README):
#   make lab    JupyterLab at the start notebook, sandbox by default
#   make test   the whole test suite (lint, types, unit, sandbox end to end, notebooks, browser)
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
LAB_PORT ?= 8888
# Containers and CI machines often run as root; JupyterLab refuses that without the flag.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root)

.PHONY: lab test venv lint check demo bench clean screenshots hub-proxy

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PIP) install -q -e '.[notebook,test,browser]'
	@rm -f $(VENV)/.installed-*; touch $@

venv: $(STAMP)

# The main job: JupyterLab at the start notebook (in Japanese when OAUTHMAIL_START is under ja/,
# see oauthmail/labsetup.py). Widget-state saving is pinned off
# (binder/overrides.json) so no secret typed into a widget is written into a notebook.
lab: $(STAMP)
	JUPYTERLAB_SETTINGS_DIR=$(CURDIR)/.venv/lab-user-settings $(PY) -m oauthmail.labsetup
	JUPYTERLAB_SETTINGS_DIR=$(CURDIR)/.venv/lab-user-settings \
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks --port=$(LAB_PORT) $(ROOT_FLAG) \
	  --ServerApp.default_url=/lab/tree/$${OAUTHMAIL_START:-en/00_start.ipynb}

# configurable-http-proxy (npm) for the hub test (tests/hub/), into the venv: nothing global is needed.
CHP := $(VENV)/hub-node/node_modules/.bin/configurable-http-proxy
$(CHP):
	npm install --silent --no-audit --no-fund --prefix $(VENV)/hub-node configurable-http-proxy@5 \
	  || echo "hub test: configurable-http-proxy not installed (npm failed); tests/hub will say it is skipped"
hub-proxy: $(CHP)
# As root with npm on the machine, `make test` brings the proxy in and runs the hub test; otherwise it is skipped.
HUB_PROXY := $(if $(and $(filter 0,$(shell id -u)),$(shell command -v npm)),$(CHP))

# The whole test suite. Browser tests run when Debian's chromium is installed (CI installs it)
# and say clearly that they were skipped otherwise; so does the hub test (root, node and npm).
test: $(STAMP) $(HUB_PROXY)
	$(VENV)/bin/ruff check oauthmail tests benchmarks tools examples
	$(VENV)/bin/mypy
	$(PY) -m pytest $(PYTEST_ARGS)

# The browser tests alone, refreshing the committed pictures in docs/screenshots/ (needs /usr/bin/chromium).
screenshots: $(STAMP)
	OAUTHMAIL_UPDATE_SCREENSHOTS=1 $(PY) -m pytest tests/browser $(PYTEST_ARGS)

demo: $(STAMP)
	$(PY) -m oauthmail.demo

bench: $(STAMP)
	$(PY) benchmarks/send_benchmark.py
	$(PY) benchmarks/relay_benchmark.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
