# One-command set-up and run on a fresh machine: `make demo`, `make test`, `make bench`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

LOCK := requirements/dev.lock
comma := ,

.PHONY: setup demo test test-latest lock lock-add docs docs-serve bench bench-compare fuzz mutate graphviz chromium neovim vscode vscode-deps clean schema pictures

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# the development and test environment is the lock, exactly (hashes checked); cjm itself goes on top
# of it with no dependency resolution, so nothing newer than what CI passed with slips in
$(STAMP): $(BIN)/python pyproject.toml $(LOCK)
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	$(BIN)/python -m pip check
	touch $(STAMP)

# The extras the lock (and test-latest) hold: everything make setup installs for development.
LOCK_EXTRAS := dev spark bench mutate serve docs lsp pdf
LOCK_COMPILE = $(BIN)/uv pip compile pyproject.toml requirements/build.in $(addprefix --extra ,$(LOCK_EXTRAS)) \
	  --python-version 3.11 --python-platform x86_64-unknown-linux-gnu --generate-hashes --quiet -o $(LOCK)

$(BIN)/uv: $(BIN)/python
	@test -x $(BIN)/uv || $(BIN)/python -m pip install --quiet uv

# refresh the lock on purpose: the newest versions pyproject's ranges allow, for Python 3.11 on
# Linux (x86_64); review the diff of $(LOCK) and run make test before committing it
lock: $(BIN)/uv
	$(LOCK_COMPILE) --upgrade
	@echo "$(LOCK) refreshed: git diff $(LOCK), then make test"

# after a dependency was added to pyproject: pin what it brings, keep every other pin as it is
lock-add: $(BIN)/uv
	$(LOCK_COMPILE)
	@echo "$(LOCK) updated: git diff $(LOCK) adds only what pyproject now asks for"

# the suite on the newest versions the ranges allow, in a venv of its own: drift shows here
# before users meet it (run it before refreshing the lock, and monthly)
LATEST := .venv-latest
test-latest: graphviz chromium neovim vscode-deps
	rm -rf $(LATEST)
	$(PYTHON) -m venv $(LATEST)
	$(LATEST)/bin/python -m pip install --quiet --upgrade pip
	$(LATEST)/bin/python -m pip install --quiet --upgrade --upgrade-strategy eager -e '.[$(subst $(eval) ,$(comma),$(LOCK_EXTRAS))]'
	$(LATEST)/bin/python -m pip freeze --exclude-editable > $(LATEST)/versions.txt
	@echo "versions tested: $(LATEST)/versions.txt"
	$(LATEST)/bin/python -m pytest -q -n 2

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

DEMO := build/demo

# cjm on examples/: validate, lint, draw every map, the catalog; then the ecom shop's map against
# a real public event log (fetched once into ~/.cache/cjm/datasets, never committed)
demo: setup
	$(BIN)/cjm validate examples
	$(BIN)/cjm lint examples --format concise --exit-zero
	$(BIN)/cjm render examples --view diagram --view curve --view map -o $(DEMO)/maps/
	$(BIN)/cjm site examples -o $(DEMO)/site
	@if $(BIN)/python tests/evidence_data.py build/data; then \
	  $(BIN)/cjm evidence compute examples/ecom-shop.cjm.yaml --events build/data/ecom.csv.gz --segment platform -o $(DEMO)/ecom-shop.observed.json && \
	  $(BIN)/cjm lint examples/ecom-shop.cjm.yaml --observed $(DEMO)/ecom-shop.observed.json --format concise --exit-zero && \
	  $(BIN)/cjm render examples/ecom-shop.cjm.yaml --observed $(DEMO)/ecom-shop.observed.json --view diagram --view map --view flow -o $(DEMO)/evidence/ && \
	  $(BIN)/cjm render examples/ecom-shop.cjm.yaml --observed $(DEMO)/ecom-shop.observed.json --view flow --compare mobile desktop -f png -o $(DEMO)/evidence/ecom-shop.mobile-vs-desktop.png; \
	else echo "the ecom log could not be fetched: the evidence part of the demo is skipped"; fi
	@echo "demo output: $(DEMO)/ (the catalog: $(DEMO)/site/index.html)"

# the browser tests drive Debian's chromium with Playwright; without it they skip and say why
chromium:
	@if ! command -v chromium >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing chromium with apt-get (for the browser tests)"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || echo "could not install chromium; the browser tests will skip (and fail in CI)"; \
	  else \
	    echo "chromium is missing, so the browser tests will skip (and fail in CI); install it with: sudo apt-get install chromium"; \
	  fi; \
	fi

# the language server's real-editor test runs Debian's Neovim headless; without it that test skips and says why
neovim:
	@if ! command -v nvim >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing neovim with apt-get (for the editor test of cjm lsp)"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq neovim >/dev/null) \
	      || echo "could not install neovim; the editor test will skip (and fail in CI)"; \
	  else \
	    echo "neovim is missing, so the editor test will skip (and fail in CI); install it with: sudo apt-get install neovim"; \
	  fi; \
	fi

# the VS Code extension (editors/vscode): its npm packages exactly as package-lock.json pins them,
# when node is on the machine (the suite type-checks the extension with them)
VSCODE := editors/vscode
vscode-deps:
	@if command -v npm >/dev/null 2>&1; then \
	  if [ ! -d $(VSCODE)/node_modules ] || [ $(VSCODE)/package-lock.json -nt $(VSCODE)/node_modules/.package-lock.json ]; then \
	    (cd $(VSCODE) && npm ci --no-audit --no-fund --loglevel=error); \
	  fi; \
	else \
	  echo "npm is missing: the VS Code extension is not type-checked"; \
	fi

# the extension as a .vsix (build/cjm-vscode.vsix), to install with: code --install-extension
vscode: vscode-deps
	mkdir -p build
	cd $(VSCODE) && npm run --silent compile && npx --no-install vsce package --allow-missing-repository -o ../../build/cjm-vscode.vsix

test: setup chromium neovim vscode-deps
	$(BIN)/python -m pytest -q -n 2

bench: setup
	$(BIN)/python benchmarks/run.py
	$(BIN)/python benchmarks/lsp_session.py
	$(MAKE) --no-print-directory bench-compare

# cjm side by side with check-jsonschema, yamllint and the Mermaid CLI (installed here when missing)
bench-compare: setup
	$(BIN)/python benchmarks/compare.py

# long fuzzing: Hypothesis with thousands of random examples (failures kept in .hypothesis/fuzz),
# then the Atheris harness of the loader for FUZZ_SECONDS (crashes saved in fuzz/crashes/)
FUZZ_SECONDS ?= 300
fuzz: setup
	CJM_FUZZ=1 $(BIN)/python -m pytest -q -n 2 tests/test_fuzz.py
	@if $(BIN)/python -m pip install --quiet -e '.[fuzz]'; then \
	  mkdir -p fuzz/work fuzz/crashes; \
	  $(BIN)/python fuzz/fuzz_loader.py fuzz/work examples tests/corpus -max_total_time=$(FUZZ_SECONDS) \
	    -max_len=65536 -artifact_prefix=fuzz/crashes/; \
	else \
	  echo "atheris does not install on this machine; the loader harness is skipped"; \
	fi

# the documentation site: the generated pages (rules, format reference) from the code, then a
# strict build (a broken link or a missing page fails); make test runs the same build
docs: setup
	$(BIN)/python -m cjm.docs_pages docs
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict
	@echo "the site: build/docs-site/index.html"

docs-serve: setup
	$(BIN)/python -m cjm.docs_pages docs
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs serve

# mutation testing with mutmut (from the lock; configured in pyproject.toml, [tool.mutmut]) of the
# lint rules, the evidence pipeline, the loader, its diagnostics and the reporters; results stay in
# mutants/, so a second run only tests what changed. Prints the score per module and the survivors
# that tests/mutation_equivalents.md does not explain. Not part of make test.
MUTATE_CHILDREN ?= 2
mutate: setup
	$(BIN)/mutmut run --max-children $(MUTATE_CHILDREN)
	$(BIN)/python tools/mutation_score.py

# the pictures of README.md and docs/rendering.md, drawn from the examples (map page, diagram, curve,
# blueprint); tests/test_pictures.py fails when they are out of date; then the live preview's
# screenshot, taken by its browser test
pictures: setup graphviz chromium
	$(BIN)/python tests/pictures.py docs/images
	CJM_PICTURES_DIR=docs/images $(BIN)/python -m pytest -q -p no:cacheprovider tests/test_serve.py -k screenshot

schema: setup
	$(BIN)/cjm schema -o schemas/cjm-map.v1.schema.json

clean:
	rm -rf $(VENV) $(LATEST) build dist src/*.egg-info .pytest_cache
