# Two commands on a fresh machine: `make test` and `make run`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install test test-fast lint run clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check src tests experiments
	$(BIN)/lint-imports --no-cache --no-logo
	$(BIN)/mypy

# the report's browser test drives Debian's headless chromium: installed when missing
test: lint
	sh tests/install-browser.sh
	$(BIN)/python -m pytest

# The quick loop: lint and every test but the slow accuracy bars and app runs.
test-fast: lint
	sh tests/install-browser.sh
	$(BIN)/python -m pytest -m "not slow"

# One retraining cycle on the bundled sample: train (exit 3 = a challenger, not an
# error), forecast, then show the head of the forecast, openings and supply-gap CSVs.
run: $(STAMP)
	$(BIN)/skillcast-train data=sample; code=$$?; [ $$code -eq 0 ] || [ $$code -eq 3 ] || exit $$code
	$(BIN)/skillcast-forecast scenarios=sample
	@for f in latest.csv latest_openings.csv latest_supply_gap.csv latest_scenarios.csv; do \
		if [ -f forecasts/$$f ]; then echo; echo "== $(CURDIR)/forecasts/$$f"; \
		head -n 6 forecasts/$$f; fi; done
	@echo; echo "Every level (city total .. bottom): $(CURDIR)/forecasts/latest_all_levels.csv"
	@echo "Planners' report (open in a browser): $(CURDIR)/forecasts/latest_report.html"
	@echo "Every table as one Excel workbook: $(CURDIR)/forecasts/latest.xlsx"

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
