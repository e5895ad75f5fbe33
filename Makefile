# One-command set-up and run on a fresh machine: `make demo`, `make test`, `make bench`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup demo test bench graphviz chromium clean schema

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

graphviz:
	@if ! command -v dot >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing graphviz (dot) with apt-get"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz >/dev/null; \
	  else \
	    echo "Graphviz 'dot' is missing; install it with: sudo apt-get install graphviz"; \
	  fi; \
	fi

setup: $(STAMP) graphviz

demo: setup
	$(BIN)/cjm validate examples

# the browser tests drive Debian's chromium with Playwright; without it they skip and say why
chromium:
	@if ! command -v chromium >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing chromium with apt-get (for the browser tests)"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || echo "could not install chromium; the browser tests will be skipped"; \
	  else \
	    echo "chromium is missing, so the browser tests will be skipped; install it with: sudo apt-get install chromium"; \
	  fi; \
	fi

test: setup chromium
	$(BIN)/python -m pytest -q -n 2

bench: setup
	$(BIN)/python benchmarks/run.py

schema: setup
	$(BIN)/cjm schema -o schemas/cjm-map.v1.schema.json

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache
