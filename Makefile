# Two entry points: `make serve` and `make test`. Both create .venv and install the project first.
# `make serve ARGS="--fixtures demo"` passes options to `mockserver serve`.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8080
PYTEST_ARGS ?= -n auto
BENCH_ARGS ?=
WORLD_ARGS ?=
ARGS ?=

.PHONY: serve test lint install system-deps bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# What the tests drive for real: Debian's headless chromium for pages (and its chromedriver, for Selenium in
# tests/console/), node + axios for the docs' JavaScript, Spectral, Redocly and Prism (contracts/tools) for the
# OpenAPI documents, redis-server for the shared store (tests/redis_server.py starts one per test session).
APT_NEEDED = $(if $(shell command -v chromium),,chromium) $(if $(shell command -v chromedriver),,chromium-driver) \
             $(if $(shell command -v node),,nodejs npm) $(if $(shell command -v redis-server),,redis-server)
system-deps:
	@if [ -n "$(strip $(APT_NEEDED))" ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(APT_NEEDED) >/dev/null; \
	  else echo "missing $(APT_NEEDED): those tests are skipped (run 'sudo make system-deps')"; fi; fi
	@for dir in tests/js contracts/tools; do \
	  if command -v npm >/dev/null 2>&1 && { [ ! -e $$dir/node_modules/.package-lock.json ] || \
	     [ $$dir/package-lock.json -nt $$dir/node_modules/.package-lock.json ]; }; then \
	    npm ci --prefix $$dir --no-audit --no-fund --loglevel=error --ignore-scripts; fi; done

serve: $(STAMP)
	$(BIN)/mockserver serve --host $(HOST) --port $(PORT) $(ARGS)

# ruff's rules and line length are in pyproject.toml; the tree is kept clean.
lint: $(STAMP)
	$(BIN)/ruff check .

test: $(STAMP) system-deps lint
	$(BIN)/pytest $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python benchmarks/http_bench.py $(BENCH_ARGS)
	$(BIN)/python benchmarks/world_size.py $(WORLD_ARGS)

clean:
	rm -rf $(VENV) build dist *.egg-info
