# Two commands on a fresh machine: `make test` and `make run`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install test lint run clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check src tests experiments

test: lint
	$(BIN)/python -m pytest

# One retraining cycle on the bundled sample: train (exit 3 = a challenger, not an
# error), forecast, then show the planner CSV.
run: $(STAMP)
	$(BIN)/skillcast-train; code=$$?; [ $$code -eq 0 ] || [ $$code -eq 3 ] || exit $$code
	$(BIN)/skillcast-forecast
	@echo "Forecast CSV: $(CURDIR)/forecasts/latest.csv"
	@head -n 6 forecasts/latest.csv

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
