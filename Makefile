# Everything runs from .venv, built from pyproject.toml with versions pinned by constraints.txt.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck pytest emulator bench-emulator bench-memory clean lock

demo: $(STAMP)
	$(BIN)/cloudsweep demo

test: $(STAMP) lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check scanner checks tests bench
	$(BIN)/ruff format --check scanner checks tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest

emulator: $(STAMP)
	$(BIN)/cloudsweep emulator --seed demo

bench-emulator: $(STAMP)
	$(BIN)/python bench/emulator_startup.py 5

bench-memory: $(STAMP)
	$(BIN)/python bench/memory_scaling.py

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[emulator,dev]'
	touch $(STAMP)

# Re-resolve the pins (needs the package registry); commit the result.
lock:
	rm -rf /tmp/cloudsweep-lock && $(PYTHON) -m venv /tmp/cloudsweep-lock
	/tmp/cloudsweep-lock/bin/pip install --quiet -e '.[emulator,dev]'
	/tmp/cloudsweep-lock/bin/pip freeze --exclude-editable | grep -v '^-e' > constraints.txt

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache *.egg-info
