# fanzha — every target installs what it needs into .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: help run test lint typecheck pytest bench clean browser system-deps

# WeasyPrint's libraries and a CJK font, for PDF clue-referral packages (Debian package names).
PDF_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk

help: ## Show the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@ $(STAMP)

run: $(STAMP) system-deps ## Serve on http://127.0.0.1:8000 with the embedded database in ./data
	$(BIN)/fanzha serve

lint: $(DEV_STAMP) ## ruff
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts

typecheck: $(DEV_STAMP) ## mypy (strict) on src/
	$(BIN)/mypy

browser: ## Debian's Chromium for the console's browser tests (installed only when missing)
	@if [ -x /usr/bin/chromium ]; then :; \
	elif command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
		echo "installing Debian's chromium for the browser tests"; \
		DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium >/dev/null \
		|| { apt-get update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium >/dev/null; }; \
	else echo "note: /usr/bin/chromium is missing and cannot be installed here; the browser tests will skip"; fi

system-deps: ## Debian packages for PDF referrals (pango, Noto CJK font), installed only when missing
	@if ! command -v dpkg-query >/dev/null 2>&1; then \
		fc-list :lang=zh 2>/dev/null | grep -q . || echo "note: not a Debian system; install pango and a CJK font (Noto Sans CJK) yourself, or PDF referrals will be unavailable"; \
	else \
		missing=""; \
		for package in $(PDF_PACKAGES); do \
			dpkg-query -W -f='$${Status}' $$package 2>/dev/null | grep -q "ok installed" || missing="$$missing $$package"; \
		done; \
		if [ -z "$$missing" ]; then :; \
		elif command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
			echo "installing$$missing (PDF referrals: WeasyPrint's libraries and a CJK font)"; \
			DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing >/dev/null \
			|| { apt-get update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing >/dev/null; } \
			|| echo "warning: could not install$$missing; PDF referrals will be unavailable and their test will skip"; \
		else echo "note:$$missing missing and apt-get is unavailable here (or not root); PDF referrals will be unavailable and their test will skip"; fi; \
	fi

pytest: $(DEV_STAMP) browser system-deps ## the test suite (SQLite; PostgreSQL and Redis too when reachable)
	$(BIN)/pytest -n 2 --dist loadfile

test: system-deps lint typecheck pytest ## Everything CI runs

bench: $(DEV_STAMP) ## Benchmarks (print figures; see docs/performance.md)
	$(BIN)/python bench/decisions.py

clean: ## Remove the virtual environment and caches (keeps ./data)
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
