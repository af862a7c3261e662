# The two commands: `make run` and `make test`. Both build .venv from the pins when it is missing
# or older than the lock file, so a fresh clone needs nothing done by hand.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DATA ?= ./var
HOST ?= 127.0.0.1
PORT ?= 8080
# Options for the demo `make run` builds on a first start (e.g. --pieces 6 for a quicker one).
DEMO_OPTIONS ?=

.PHONY: run test lint typecheck unit docs bench clean

# On first start (no accounts yet, or a demo left unfinished) the demo is built before serving.
run: $(STAMP)
	ENCORE_HOST=$(HOST) ENCORE_PORT=$(PORT) $(BIN)/encore demo --data $(DATA) --first-start $(DEMO_OPTIONS)
	$(BIN)/encore serve --data $(DATA) --host $(HOST) --port $(PORT)

test: $(STAMP) lint typecheck
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests bench deploy docsite
	$(BIN)/ruff format --check src tests bench deploy docsite
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest tests/unit

# The documentation site into ./site (tests/docs builds it too, with --strict, in `make test`).
docs: $(STAMP)
	$(BIN)/mkdocs build --strict

bench: $(STAMP)
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	test -x /usr/sbin/nginx -a -f /usr/lib/nginx/modules/ngx_http_js_module.so || (apt-get update -qq && apt-get install -y -qq nginx libnginx-mod-http-js)
	$(BIN)/python bench/run.py $(if $(QUICK),--quick)

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache site
