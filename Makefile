# LeadTrackEngine — `make run` and `make test` are the contract (docs: ../shared/docs/CONTRACT.md).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: run test test-fast lint types check bench clean-venv messages screens

$(BIN)/lte: requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("LTE needs Python 3.11 or newer" if sys.version_info < (3, 11) else 0)'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes --no-deps -r requirements.lock
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	@touch $@

$(VENV)/.dev: $(BIN)/lte requirements-dev.lock
	$(BIN)/pip install --quiet --require-hashes --no-deps -r requirements-dev.lock
	$(BIN)/python -m lte.lib.catalogs compile
	@touch $@

# New or changed strings into locale/*/LC_MESSAGES/django.po (translations kept), then compiled to .mo:
# translate the empty msgstr's until lte/site/tests/test_translations.py passes.
messages: $(BIN)/lte
	$(BIN)/python -m lte.lib.catalogs update

run: $(BIN)/lte
	exec $(BIN)/lte run

# Tests are spread one by one over both workers; only an xdist_group (the browser tests: one server and one
# Chromium per module) stays on one worker. test-fast is the inner loop: no browser, no slow sweeps.
test: $(VENV)/.dev
	$(BIN)/pytest -n 2 --dist loadgroup --durations=30

test-fast: $(VENV)/.dev
	$(BIN)/pytest -n 2 -m "not e2e and not slow"

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache

types: $(VENV)/.dev
	$(BIN)/mypy lte

check: $(VENV)/.dev
	LTE_ENV=production LTE_BASE_URL=https://app.example.com LTE_DATA_DIR=$$(mktemp -d) \
	  $(BIN)/lte check --deploy --fail-level WARNING

# Screenshots of the main screens into docs/screens/ (lte/testing/screens.py): a fresh `lte run`, a demo seller with
# made-up data, Chromium on a 390×844 phone; SCREENS="login today" for some. Commit the PNGs it writes.
screens: $(VENV)/.dev
	$(BIN)/python -m lte.testing.screens $(if $(SCREENS),--only $(SCREENS))

clean-venv:
	rm -rf $(VENV)

bench: $(VENV)/.dev
	$(BIN)/python bench/vault_bench.py
	$(BIN)/python bench/crm_bench.py
	$(BIN)/python bench/size_bench.py
	$(BIN)/python bench/rights_bench.py
	$(BIN)/python bench/import_bench.py

# Load test (bench/loadtest/run.py): wrk against a real `lte run` on loopback; LOADTEST_CONTACTS=5000 for a quick run.
# Installs wrk with apt-get when missing (as .ci/run installs chromium); not part of CI.
.PHONY: loadtest
loadtest: $(VENV)/.dev
	@command -v wrk >/dev/null 2>&1 || { \
	  if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	    DEBIAN_FRONTEND=noninteractive apt-get update -qq && apt-get install -y -qq wrk >/dev/null; \
	  else echo "make loadtest needs wrk: sudo apt-get install wrk (Debian/Ubuntu) or brew install wrk (macOS)" >&2; \
	    exit 1; fi; }
	$(BIN)/python bench/loadtest/run.py
