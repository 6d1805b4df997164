# Two entry points: `make lab` (install + JupyterLab on the sandbox) and `make test` (install + every test).
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install lab test test-unit test-notebooks test-browser lint lock bench chromium clean

$(BIN)/uv:
	@command -v $(PY) >/dev/null 2>&1 || { echo "need $(PY) on PATH (or make PY=python3)"; exit 1; }
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check uv==0.13.9

# Bytecode compiled at install, as pip does by default (uv does not): a kernel or server that starts
# later never compiles its imports (twice as slow, and every time where PYTHONDONTWRITEBYTECODE is set).
$(STAMP): pyproject.toml requirements.lock $(BIN)/uv
	$(BIN)/uv pip install -q --compile-bytecode --python $(BIN)/python -r requirements.lock
	$(BIN)/uv pip install -q --python $(BIN)/python --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

lab: $(STAMP)
	$(BIN)/stnb lab

# Chromium for the browser test and PNG export: Debian's package, never a downloaded browser build.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || echo "chromium could not be installed: the browser test will be skipped"; \
	  else echo "chromium not found and not root: the browser test will be skipped"; fi; }

lint: $(STAMP)
	$(BIN)/ruff check stnb tests benchmarks scripts
	$(BIN)/mypy --strict stnb
	$(BIN)/nbstripout --verify notebooks/*.ipynb

test-unit: $(STAMP)
	$(BIN)/python -m pytest -p no:nbmake -m "not browser" --timeout=600 --durations=15 tests

# Serially (never in parallel: tooling-notes), each cell within 60 s, on a throwaway usage ledger.
test-notebooks: $(STAMP)
	STNB_LEDGER=$${STNB_LEDGER:-$$(mktemp -d)/usage.sqlite3} STNB_CACHE_DIR=$${STNB_CACHE_DIR:-$$(mktemp -d)} \
	  $(BIN)/python -m pytest -p nbmake --nbmake --nbmake-timeout=60 --durations=10 notebooks/

test-browser: $(STAMP) chromium
	$(BIN)/python -m pytest -p no:nbmake -m browser --timeout=900 tests

test: $(STAMP) chromium lint test-unit test-notebooks test-browser

bench: $(STAMP)
	failed=; for b in benchmarks/*.py; do echo "== $$b"; $(BIN)/python $$b || failed="$$failed $$b"; done; \
	if [ -n "$$failed" ]; then echo "targets missed:$$failed"; exit 1; fi

# Two locks: requirements.lock (the core, every extra and dev: what `make install` installs) and
# requirements-core.lock (`pip install stnb` alone, pinned as in requirements.lock; tests/test_install.py
# installs it into a fresh venv and checks both files are fresh).
LOCK_TARGET := --python-version 3.11 --python-platform x86_64-unknown-linux-gnu

lock: $(BIN)/uv
	$(BIN)/uv pip compile pyproject.toml --all-extras $(LOCK_TARGET) -o requirements.lock
	$(BIN)/uv pip compile pyproject.toml -c requirements.lock $(LOCK_TARGET) -o requirements-core.lock

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
