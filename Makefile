# The two commands: `make run` and `make test`. Both build .venv from the pins when it is missing
# or older than the lock file, so a fresh clone needs nothing done by hand.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DATA ?= ./var
HOST ?= 127.0.0.1
PORT ?= 8080

.PHONY: run test lint typecheck unit bench clean

# On first start (no accounts yet, or a demo left unfinished) the demo is built before serving.
run: $(STAMP)
	ENCORE_HOST=$(HOST) ENCORE_PORT=$(PORT) $(BIN)/encore demo --data $(DATA) --first-start
	$(BIN)/encore serve --data $(DATA) --host $(HOST) --port $(PORT)

test: $(STAMP) lint typecheck
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest tests/unit

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
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
