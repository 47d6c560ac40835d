# Two entry points: `make demo` (set up, then run ics-graph on a bundled example) and
# `make test` (set up, then run the whole test suite). The demo needs only Python 3.11+ and
# make; the whole test suite also drives Java, Chromium, LibreOffice and Virtuoso: `make test`
# installs them first when run as root on Debian/Ubuntu, otherwise stops saying the one command
# that installs them. `make test-quick` runs every test that needs none of them.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
EXAMPLE ?= data/northamptonshire
OUT    ?= out

.PHONY: demo test test-quick lint require-tools setup bench clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

demo: setup
	@echo "== What the example mapping holds ($(EXAMPLE))"
	$(BIN)/ics-graph info $(EXAMPLE)
	@mkdir -p $(OUT)
	@echo "== Canonical Turtle of the example"
	$(BIN)/ics-graph load $(EXAMPLE) -o $(OUT)/example.ttl --force
	@echo "== Where does continuing healthcare sit?"
	$(BIN)/ics-graph where "continuing healthcare" $(EXAMPLE)
	@echo "== Checking the example (its findings are explained in $(EXAMPLE)/README.md)"
	$(BIN)/ics-graph check $(EXAMPLE) --fail-on never
	$(BIN)/ics-graph map $(EXAMPLE) -o $(OUT)/decisions.html --force
	$(BIN)/ics-graph map $(EXAMPLE) -o $(OUT)/decisions.md --force
	$(BIN)/ics-graph visualise $(EXAMPLE) -o $(OUT)/graph.html --force
	@echo "== Loading it into a persistent store, then asking the store (nothing is parsed again)"
	$(BIN)/ics-graph load $(EXAMPLE) --store oxigraph:$(OUT)/store
	$(BIN)/ics-graph at "West Northamptonshire" --level place --store oxigraph:$(OUT)/store
	@echo "== Written: $(OUT)/example.ttl, $(OUT)/graph.html (open it in a browser, it works offline),"
	@echo "   $(OUT)/decisions.html, $(OUT)/decisions.md and the store $(OUT)/store."
	@echo "   Try: $(BIN)/ics-graph rules explain dependency-cycle"

# Java, Chromium, LibreOffice and Node.js/npm: present, or installed (as root, with apt-get),
# or stop; then axe-core, pinned in tests/js/package-lock.json (npm ci into tests/js/node_modules).
require-tools:
	@sh tests/require-tools.sh

test: require-tools setup lint
	$(BIN)/python -m pytest

# The quality gates, before any test: lint and format, import contracts, types, the docs.
lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy
	$(BIN)/mkdocs build --strict --quiet --site-dir "$$(mktemp -d)"

test-quick: setup
	$(BIN)/python -m pytest -m "not java and not chromium and not libreoffice and not virtuoso"

bench: setup
	$(BIN)/python -m pip install --quiet -e ".[test,bench]"
	$(BIN)/python benchmarks/bench.py --sizes $(or $(SIZES),one-system) --browser $(if $(JSON),--json $(JSON))

clean:
	rm -rf $(VENV) $(OUT) build *.egg-info site-docs .mypy_cache .ruff_cache
